//! The demo's Neighbourhood Watch schemes: three open schemes round demo residents' homes (two
//! given by postcodes, one drawn as a shape), each with coordinators enrolled with known keys,
//! members accepted (some sharing their name and street) and requests waiting, and one proposal
//! waiting for staff to verify it.

use crate::domain::scheme::{SchemeStatus, Standing};
use crate::domain::staff::StaffInput;
use crate::geo::scheme_area::SchemeArea;
use crate::services::schemes::PROVIDER_SLUG;
use crate::services::staff::{self as staff_service, Actor};
use crate::services::AppContext;
use crate::store::{JoinRequest, NewScheme, StaffMember};

/// A demo scheme: its name, district, description, and its coordinators (name, email; the
/// first is main).
struct Demo {
    name: &'static str,
    district: &'static str,
    description: &'static str,
    coordinators: &'static [(&'static str, &'static str)],
    /// Drawn as a square this many metres round its first member's home, instead of listing
    /// its members' postcodes.
    square_m: Option<f64>,
}

const SCHEMES: &[Demo] = &[
    Demo {
        name: "South Cambs Villages Watch",
        district: "E07000012",
        description: "Neighbours in the villages south of Cambridge looking out for each other.\n\nWe meet on the first Thursday of the month at the village hall, 7pm. New members welcome.",
        coordinators: &[
            ("Margaret Ellis", "margaret.ellis@nhw.example.org"),
            ("Dev Chauhan", "dev.chauhan@nhw.example.org"),
        ],
        square_m: None,
    },
    Demo {
        name: "Cambridge North Streets Watch",
        district: "E07000008",
        description: "A few streets in the north of Cambridge. We share news about bike thefts, scams and anything suspicious.",
        coordinators: &[("Grace Adeyemi", "grace.adeyemi@nhw.example.org")],
        square_m: None,
    },
    Demo {
        name: "Huntingdon Riverside Watch",
        district: "E07000011",
        description: "Homes near the river in Huntingdon.",
        coordinators: &[("Owen Pryce", "owen.pryce@nhw.example.org")],
        square_m: Some(1_500.0),
    },
];

/// How many demo residents each scheme is drawn round.
const MEMBERS_EACH: usize = 8;

/// A coordinator as the demo prints its staff: name, email, permissions, authenticator key,
/// account.
pub type DemoCoordinator = (String, String, String, String, StaffMember);

/// Seeds the schemes; returns their coordinators, and each open scheme with a postcode it covers
/// for a newcomer to sign up with.
pub async fn seed(
    ctx: &AppContext,
    sergeant: &StaffMember,
    residents: usize,
    password: &str,
) -> anyhow::Result<(Vec<DemoCoordinator>, Vec<(String, String)>)> {
    let actor = Actor {
        staff: Some(sergeant),
        ip: "demo",
    };
    let now = chrono::Utc::now().timestamp();
    let by = format!("{}, {}", sergeant.name, sergeant.provider_name);
    let mut coordinators = Vec::new();
    let mut to_join = Vec::new();
    for demo in SCHEMES {
        // The demo residents of the district, in turn.
        let mut homes = Vec::new();
        for subscriber in 1..=residents as i64 {
            if homes.len() == MEMBERS_EACH {
                break;
            }
            if ctx.store.subscriber_district(subscriber).await?.as_deref() != Some(demo.district) {
                continue;
            }
            let Some(resident) = ctx.store.subscriber(subscriber).await? else {
                continue;
            };
            let postcode = resident.preferences.places[0].postcode.clone();
            let at = ctx.store.find_postcode(postcode.as_str()).await?;
            let at = at.and_then(|p| Some((f64::from(p.easting?), f64::from(p.northing?))));
            homes.push((resident, postcode.to_string(), at));
        }
        let Some((_, _, Some((e, n)))) = homes.first().cloned() else {
            continue;
        };
        let area = match demo.square_m {
            Some(half) => SchemeArea::Polygon {
                rings: vec![vec![
                    [e - half, n - half],
                    [e + half, n - half],
                    [e + half, n + half],
                    [e - half, n + half],
                    [e - half, n - half],
                ]],
            },
            None => SchemeArea::Postcodes {
                postcodes: homes.iter().map(|h| h.1.clone()).collect(),
                centre: Some([e.round(), n.round()]),
            },
        };
        to_join.push((demo.name.to_owned(), homes[0].1.clone()));
        let id = ctx
            .store
            .insert_scheme(
                &NewScheme {
                    name: demo.name.into(),
                    district_code: demo.district.into(),
                    area: area.clone(),
                    description: demo.description.into(),
                    status: SchemeStatus::Open,
                    standing: Standing::PoliceVerified,
                    standing_by: Some(by.clone()),
                    proposer_name: demo.coordinators[0].0.into(),
                    proposer_email: demo.coordinators[0].1.into(),
                },
                now - 90 * 86_400,
            )
            .await?;
        let mut main = None;
        for (i, (name, email)) in demo.coordinators.iter().enumerate() {
            let (staff, _link) = staff_service::add_account(
                ctx,
                &actor,
                &StaffInput {
                    email: (*email).into(),
                    name: (*name).into(),
                    role_title: "Neighbourhood Watch coordinator".into(),
                    area_label: demo.name.into(),
                    provider: PROVIDER_SLUG.into(),
                    coordinate: true,
                    ..StaffInput::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("adding a demo coordinator: {e}"))?;
            let secret = staff_service::new_totp_secret();
            staff_service::enrol_for_demo(ctx, &staff, password, &secret).await?;
            ctx.store
                .add_coordinator(id, staff.id, i == 0, now - 90 * 86_400)
                .await?;
            main = main.or(Some(staff.id));
            coordinators.push((
                staff.name.clone(),
                staff.email.to_string(),
                format!(
                    "{} of {}",
                    if i == 0 {
                        "main coordinator"
                    } else {
                        "deputy coordinator"
                    },
                    demo.name
                ),
                secret,
                staff,
            ));
        }
        let main = main.unwrap_or_default();
        // Most members accepted, every other one sharing their name and street; the last two
        // wait for a coordinator.
        for (n, (resident, _, at)) in homes.iter().enumerate() {
            if !area.covers(&homes[n].1, *at) {
                continue;
            }
            let share = n % 2 == 0;
            let request = JoinRequest {
                name: if share {
                    resident.preferences.name.clone()
                } else {
                    String::new()
                },
                street: if share {
                    STREETS[n % STREETS.len()].into()
                } else {
                    String::new()
                },
                share,
            };
            let asked = now - (40 - n as i64) * 86_400;
            ctx.store
                .request_membership(id, resident.id, &request, asked)
                .await?;
            if n + 2 < homes.len() {
                let member = ctx
                    .store
                    .scheme_memberships(id)
                    .await?
                    .into_iter()
                    .find(|m| m.subscriber_id == resident.id)
                    .map(|m| m.id)
                    .unwrap_or_default();
                ctx.store
                    .decide_membership(id, member, true, main, asked + 86_400)
                    .await?;
            }
        }
    }
    ctx.store
        .insert_scheme(
            &NewScheme {
                name: "Chesterton Road Watch".into(),
                district_code: "E07000008".into(),
                area: SchemeArea::Postcodes {
                    postcodes: vec!["CB4 1AA".into()],
                    centre: None,
                },
                description: "Proposed by a resident: waiting for the neighbourhood team.".into(),
                status: SchemeStatus::Proposed,
                standing: Standing::SelfDeclared,
                standing_by: None,
                proposer_name: "Jo Bright".into(),
                proposer_email: "jo.bright@example.org".into(),
            },
            now - 2 * 86_400,
        )
        .await?;
    Ok((coordinators, to_join))
}

/// Streets the demo's sharing members give.
const STREETS: &[&str] = &[
    "High Street",
    "Church Lane",
    "Station Road",
    "Mill Close",
    "The Green",
];
