//! Whose service a resident is using: the force's name, logo and header colour from
//! `[branding]` in the settings (and the map tiles of `[map]`), on every page. The layout reads them from the request being
//! answered (`current`), which `scope` sets around each one, so no page's view model carries them.

use super::AppState;
use crate::config::BrandingSettings;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The branding as pages show it.
#[derive(Debug, Clone)]
pub struct Branding {
    pub service_name: String,
    /// Empty when no force is configured.
    pub force_name: String,
    pub contact_email: String,
    pub logo: bool,
    pub colour: String,
    /// The deployment's map tiles (`[map]`), for the script that lays them beneath the maps:
    /// empty when none are configured.
    pub map_tiles: String,
    pub map_attribution: String,
}

impl Branding {
    pub fn from_settings(settings: &BrandingSettings) -> Branding {
        Branding {
            service_name: settings.service_name.trim().to_owned(),
            force_name: settings.force_name.trim().to_owned(),
            contact_email: settings.contact_email.trim().to_owned(),
            logo: !settings.logo_file.is_empty(),
            colour: settings.colour.clone(),
            map_tiles: String::new(),
            map_attribution: String::new(),
        }
    }

    /// With the deployment's map tiles, if it has any.
    pub fn with_map(mut self, map: &crate::config::MapSettings) -> Branding {
        if map.tile_origin().is_some() {
            self.map_tiles = map.tile_url.trim().to_owned();
            self.map_attribution = map.attribution.trim().to_owned();
        }
        self
    }

    /// Who runs the service, for a sentence: the force, or a plain description without one.
    pub fn runner(&self) -> &str {
        if self.force_name.is_empty() {
            "the police force that runs this service"
        } else {
            &self.force_name
        }
    }

    /// The one rule the configured colour adds to the stylesheet. The colour was checked to be
    /// `#rrggbb` or `#rgb` when the settings were loaded; anything else is left out here too,
    /// so nothing but a colour can reach the CSS.
    pub fn stylesheet_rule(&self) -> String {
        match crate::config::parse_colour(&self.colour) {
            Some([r, g, b]) => {
                format!("\n.site-header {{ background: #{r:02x}{g:02x}{b:02x}; }}\n")
            }
            None => String::new(),
        }
    }
}

impl Default for Branding {
    fn default() -> Self {
        Branding::from_settings(&BrandingSettings::default())
    }
}

tokio::task_local! {
    static BRANDING: Arc<Branding>;
}

/// The branding of the request being answered (Beacon's own outside one, as in unit tests).
pub fn current() -> Arc<Branding> {
    BRANDING
        .try_with(Arc::clone)
        .unwrap_or_else(|_| Arc::new(Branding::default()))
}

/// Middleware: answers the request with this app's branding in reach of its templates.
pub async fn scope(
    State(branding): State<Arc<Branding>>,
    request: Request,
    next: Next,
) -> Response {
    BRANDING.scope(branding, next.run(request)).await
}

/// `GET /branding/logo`: the configured logo file, or 404 when there is none.
pub async fn logo(State(ctx): State<AppState>) -> Response {
    let settings = &ctx.settings.branding;
    let Some(content_type) = settings.logo_type() else {
        return (
            StatusCode::NOT_FOUND,
            super::views::message_page("Page not found", &["This site has no logo."], None),
        )
            .into_response();
    };
    match tokio::fs::read(&settings.logo_file).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(error = %error, file = %settings.logo_file, "cannot read the logo file");
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_colour_reaches_the_stylesheet() {
        let mut branding = Branding {
            colour: "#00385F".into(),
            ..Branding::default()
        };
        assert_eq!(
            branding.stylesheet_rule(),
            "\n.site-header { background: #00385f; }\n"
        );
        branding.colour = "#000} body { display: none".into();
        assert_eq!(branding.stylesheet_rule(), "");
    }
}
