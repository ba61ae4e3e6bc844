//! Open311 GeoReport v2 (`/open311/v2/…`), in JSON and XML alike: each address ends in `.json`
//! or `.xml`, and the answer, errors included, comes in that format, with the element names of
//! the spec (`services/service`, `service_definition/attributes/attribute/values/value`,
//! `service_requests/request`, `errors/error`). XML is written by hand, every value escaped.
//! What is listed and published, and why, is in `services::open311`.

use super::AppState;
use crate::domain::report::ServiceDefinition;
use crate::geo::map::escape;
use crate::services::open311::{
    self, Open311Error, PostedFields, PostedRequest, PublishedRequest, RequestQuery, CHANGESET,
};
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, RawQuery, State};
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

/// The format an address asks for, from its ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// `name.json` or `name.xml`: the name and its format.
    fn split(file: &str) -> Option<(&str, Format)> {
        if let Some(name) = file.strip_suffix(".json") {
            Some((name, Format::Json))
        } else {
            file.strip_suffix(".xml").map(|name| (name, Format::Xml))
        }
    }
}

/// The format of an address without a parameter (`/open311/v2/services.xml`).
impl FromRequestParts<AppState> for Format {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Format::split(parts.uri.path())
            .map(|(_, format)| format)
            .ok_or_else(|| StatusCode::NOT_FOUND.into_response())
    }
}

/// A document in its format, readable from any site (everything here but the POST is public).
fn document(format: Format, status: StatusCode, json: Value, xml: Xml) -> Response {
    let (content_type, body) = match format {
        Format::Json => ("application/json; charset=utf-8", json.to_string()),
        Format::Xml => ("text/xml; charset=utf-8", xml.finish()),
    };
    (
        status,
        [
            (CONTENT_TYPE, content_type),
            (ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response()
}

/// The spec's error list.
fn errors(format: Format, status: StatusCode, descriptions: &[String]) -> Response {
    let code = status.as_u16();
    let json = Value::Array(
        descriptions
            .iter()
            .map(|d| json!({ "code": code, "description": d }))
            .collect(),
    );
    let mut xml = Xml::new("errors");
    for description in descriptions {
        xml.open("error");
        xml.leaf("code", &code.to_string());
        xml.leaf("description", description);
        xml.close("error");
    }
    document(format, status, json, xml)
}

fn refused(format: Format, error: Open311Error) -> Response {
    let (status, descriptions) = match error {
        Open311Error::Invalid(problems) => (StatusCode::BAD_REQUEST, problems),
        Open311Error::Forbidden(why) => (StatusCode::FORBIDDEN, vec![why.to_owned()]),
        Open311Error::NotFound(why) => (StatusCode::NOT_FOUND, vec![why.to_owned()]),
        error @ Open311Error::RateLimited => {
            (StatusCode::TOO_MANY_REQUESTS, vec![error.to_string()])
        }
        Open311Error::Unexpected(error) => {
            tracing::error!(error = format!("{error:#}"), "an Open311 call failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                vec!["Sorry, there is a problem with the service. Try again later: nothing was saved.".to_owned()],
            )
        }
    };
    errors(format, status, &descriptions)
}

fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// `GET /open311/v2/discovery.{json,xml}`: where the endpoint is and how to get a key.
pub async fn discovery(State(ctx): State<AppState>, format: Format) -> Response {
    let branding = &ctx.settings.branding;
    let force = if branding.force_name.trim().is_empty() {
        branding.service_name.clone()
    } else {
        branding.force_name.clone()
    };
    let contact = if branding.contact_email.trim().is_empty() {
        force.clone()
    } else {
        format!("{force}, {}", branding.contact_email)
    };
    let key_service = format!(
        "Ask {force} for an Open311 key: its administrators issue them. Reading needs no key."
    );
    let url = ctx.link("/open311/v2");
    let formats = ["application/json", "text/xml"];
    let json = json!({
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": formats,
        }],
    });
    let mut xml = Xml::new("discovery");
    xml.leaf("changeset", CHANGESET);
    xml.leaf("contact", &contact);
    xml.leaf("key_service", &key_service);
    xml.open("endpoints");
    xml.open("endpoint");
    xml.leaf("specification", SPECIFICATION);
    xml.leaf("url", &url);
    xml.leaf("changeset", CHANGESET);
    xml.leaf("type", "production");
    xml.open("formats");
    for format in formats {
        xml.leaf("format", format);
    }
    xml.close("formats");
    xml.close("endpoint");
    xml.close("endpoints");
    document(format, StatusCode::OK, json, xml)
}

/// `GET /open311/v2/services.{json,xml}`.
pub async fn services(State(ctx): State<AppState>, format: Format) -> Response {
    let kinds = match open311::services(&ctx).await {
        Ok(kinds) => kinds,
        Err(error) => return refused(format, error),
    };
    let service = |kind: &ServiceDefinition| (!kind.questions.is_empty(), kind.keywords.join(", "));
    let json = Value::Array(
        kinds
            .iter()
            .map(|kind| {
                let (metadata, keywords) = service(kind);
                json!({
                    "service_code": kind.code,
                    "service_name": kind.name,
                    "description": kind.description,
                    "metadata": metadata,
                    "type": "realtime",
                    "keywords": keywords,
                    "group": kind.group,
                })
            })
            .collect(),
    );
    let mut xml = Xml::new("services");
    for kind in &kinds {
        let (metadata, keywords) = service(kind);
        xml.open("service");
        xml.leaf("service_code", &kind.code);
        xml.leaf("service_name", &kind.name);
        xml.leaf("description", &kind.description);
        xml.leaf("metadata", if metadata { "true" } else { "false" });
        xml.leaf("type", "realtime");
        xml.leaf("keywords", &keywords);
        xml.leaf("group", &kind.group);
        xml.close("service");
    }
    document(format, StatusCode::OK, json, xml)
}

/// `GET /open311/v2/services/{code}.{json,xml}`: the kind's questions as attributes.
pub async fn service_definition(State(ctx): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = Format::split(&file) else {
        return not_found();
    };
    let kind = match open311::definition(&ctx, code).await {
        Ok(kind) => kind,
        Err(error) => return refused(format, error),
    };
    let attributes: Vec<Value> = kind
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            json!({
                "variable": true,
                "code": q.code,
                "datatype": q.datatype.slug(),
                "required": q.required,
                "datatype_description": q.hint.clone().unwrap_or_default(),
                "order": i + 1,
                "description": q.prompt,
                "values": q.values.iter().map(|v| json!({ "key": v.key, "name": v.name })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let json = json!({ "service_code": kind.code, "attributes": attributes });
    let mut xml = Xml::new("service_definition");
    xml.leaf("service_code", &kind.code);
    xml.open("attributes");
    for (i, q) in kind.questions.iter().enumerate() {
        xml.open("attribute");
        xml.leaf("variable", "true");
        xml.leaf("code", &q.code);
        xml.leaf("datatype", q.datatype.slug());
        xml.leaf("required", if q.required { "true" } else { "false" });
        xml.leaf(
            "datatype_description",
            q.hint.as_deref().unwrap_or_default(),
        );
        xml.leaf("order", &(i + 1).to_string());
        xml.leaf("description", &q.prompt);
        if !q.values.is_empty() {
            xml.open("values");
            for value in &q.values {
                xml.open("value");
                xml.leaf("key", &value.key);
                xml.leaf("name", &value.name);
                xml.close("value");
            }
            xml.close("values");
        }
        xml.close("attribute");
    }
    xml.close("attributes");
    document(format, StatusCode::OK, json, xml)
}

/// `POST /open311/v2/requests.{json,xml}`: a report from a client holding an Open311 key
/// (`api_key`, in the form or the query string), form-encoded as the spec says.
pub async fn post_request(
    State(ctx): State<AppState>,
    format: Format,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut fields: Vec<(String, String)> = match serde_html_form::from_bytes(&body) {
        Ok(fields) => fields,
        Err(_) => {
            let why = "Send the request form-encoded (application/x-www-form-urlencoded)";
            return errors(format, StatusCode::BAD_REQUEST, &[why.to_owned()]);
        }
    };
    if let Some(query) = query {
        if let Ok(more) = serde_html_form::from_str::<Vec<(String, String)>>(&query) {
            fields.extend(more);
        }
    }
    match open311::post_request(&ctx, &PostedFields(fields)).await {
        Ok(PostedRequest {
            service_request_id,
            service_notice,
        }) => {
            let json = json!([{
                "service_request_id": service_request_id,
                "service_notice": service_notice,
                "account_id": null,
            }]);
            let mut xml = Xml::new("service_requests");
            xml.open("request");
            xml.leaf("service_request_id", &service_request_id);
            xml.leaf("service_notice", &service_notice);
            xml.leaf("account_id", "");
            xml.close("request");
            // 200, not 201: the spec's examples and the clients written against them expect it.
            document(format, StatusCode::OK, json, xml)
        }
        Err(error) => refused(format, error),
    }
}

/// `GET /open311/v2/requests.{json,xml}`: published requests, by the spec's filters.
pub async fn requests(
    State(ctx): State<AppState>,
    format: Format,
    query: Result<Query<RequestQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        let why = "The query string cannot be read".to_owned();
        return errors(format, StatusCode::BAD_REQUEST, &[why]);
    };
    match open311::requests(&ctx, &query).await {
        Ok(found) => published(&ctx, format, &found),
        Err(error) => refused(format, error),
    }
}

/// `GET /open311/v2/requests/{id}.{json,xml}`: one published request, as a list of one.
pub async fn request(State(ctx): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((id, format)) = Format::split(&file) else {
        return not_found();
    };
    match open311::request(&ctx, id).await {
        Ok(found) => published(&ctx, format, &[found]),
        Err(error) => refused(format, error),
    }
}

/// `GET /open311/v2/tokens/{token}.{json,xml}`: the request a token stands for.
pub async fn token(State(ctx): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((token, format)) = Format::split(&file) else {
        return not_found();
    };
    match open311::request_for_token(&ctx, token).await {
        Ok(id) => {
            let json = json!([{ "service_request_id": id, "token": token }]);
            let mut xml = Xml::new("service_requests");
            xml.open("request");
            xml.leaf("service_request_id", &id);
            xml.leaf("token", token);
            xml.close("request");
            document(format, StatusCode::OK, json, xml)
        }
        Err(error) => refused(format, error),
    }
}

fn published(ctx: &AppState, format: Format, found: &[PublishedRequest]) -> Response {
    let agency = if ctx.settings.branding.force_name.trim().is_empty() {
        ctx.settings.branding.service_name.clone()
    } else {
        ctx.settings.branding.force_name.clone()
    };
    let json = Value::Array(
        found
            .iter()
            .map(|r| {
                json!({
                    "service_request_id": r.service_request_id,
                    "status": r.status,
                    "status_notes": r.status_notes,
                    "service_name": r.service_name,
                    "service_code": r.service_code,
                    "description": null,
                    "agency_responsible": agency,
                    "service_notice": null,
                    "requested_datetime": open311::w3c(r.requested_at),
                    "updated_datetime": open311::w3c(r.updated_at),
                    "expected_datetime": null,
                    "address": null,
                    "address_id": null,
                    "zipcode": null,
                    "lat": r.position.map(|p| p.0),
                    "long": r.position.map(|p| p.1),
                    "media_url": null,
                })
            })
            .collect(),
    );
    let mut xml = Xml::new("service_requests");
    for r in found {
        xml.open("request");
        xml.leaf("service_request_id", &r.service_request_id);
        xml.leaf("status", r.status);
        if let Some(notes) = r.status_notes {
            xml.leaf("status_notes", notes);
        }
        xml.leaf("service_name", &r.service_name);
        xml.leaf("service_code", &r.service_code);
        xml.leaf("agency_responsible", &agency);
        xml.leaf("requested_datetime", &open311::w3c(r.requested_at));
        xml.leaf("updated_datetime", &open311::w3c(r.updated_at));
        if let Some((lat, long)) = r.position {
            xml.leaf("lat", &lat.to_string());
            xml.leaf("long", &long.to_string());
        }
        xml.close("request");
    }
    document(format, StatusCode::OK, json, xml)
}

/// An XML document written element by element, every value escaped.
struct Xml(String);

impl Xml {
    fn new(root: &str) -> Xml {
        Xml(format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<{root}>\n"
        ))
    }

    fn open(&mut self, name: &str) {
        self.0.push_str(&format!("<{name}>\n"));
    }

    fn close(&mut self, name: &str) {
        self.0.push_str(&format!("</{name}>\n"));
    }

    fn leaf(&mut self, name: &str, value: &str) {
        self.0
            .push_str(&format!("<{name}>{}</{name}>\n", escape(value)));
    }

    /// The document, its root element closed.
    fn finish(self) -> String {
        let root = self
            .0
            .lines()
            .nth(1)
            .and_then(|line| line.strip_prefix('<'))
            .and_then(|line| line.strip_suffix('>'))
            .unwrap_or_default()
            .to_owned();
        format!("{}</{root}>\n", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_values_are_escaped_and_the_root_closed() {
        let mut xml = Xml::new("errors");
        xml.open("error");
        xml.leaf("description", "<script>&\"x\"\u{1}");
        xml.close("error");
        assert_eq!(
            xml.finish(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<errors>\n<error>\n\
             <description>&lt;script&gt;&amp;&quot;x&quot;</description>\n</error>\n</errors>\n"
        );
    }

    #[test]
    fn formats_come_from_the_ending() {
        assert_eq!(Format::split("theft.json"), Some(("theft", Format::Json)));
        assert_eq!(Format::split("RPT-1.xml"), Some(("RPT-1", Format::Xml)));
        assert_eq!(Format::split("theft.html"), None);
    }
}
