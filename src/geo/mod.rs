//! Geography: postcode records in the ONS Postcode Directory layout, district names, the bundled
//! force-area postcodes, conversion between British National Grid and WGS84, the gazetteer of
//! places, the shapes an alert is aimed at, Neighbourhood Watch schemes' areas, and the maps' district
//! outlines.

pub mod audience;
pub mod districts;
pub mod forces;
pub mod grid;
pub mod map;
pub mod onspd;
pub mod outlines;
pub mod places;
pub mod scheme_area;
pub mod target;

pub use districts::{bundled_districts, bundled_force_postcodes, District, FORCE_DISTRICTS};
pub use grid::{bng_to_wgs84, grid_distance, wgs84_to_bng, LatLon};
pub use onspd::{open_path, OnspdError, OnspdReader, PostcodeRecord};
