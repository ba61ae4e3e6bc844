//! Geography: postcode records in the ONS Postcode Directory layout, district names, the bundled
//! force-area postcodes, and conversion from British National Grid to WGS84.

pub mod districts;
pub mod grid;
pub mod onspd;

pub use districts::{bundled_districts, bundled_force_postcodes, District, FORCE_DISTRICTS};
pub use grid::{bng_to_wgs84, grid_distance, LatLon};
pub use onspd::{open_path, OnspdError, OnspdReader, PostcodeRecord};
