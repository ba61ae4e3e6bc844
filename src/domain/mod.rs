//! The domain: Beacon's types and rules, with no I/O. Values are validated once, at the edge, into
//! newtypes (`Postcode`, `EmailAddress`, `MobileNumber`) and trusted from then on.

pub mod alert;
pub mod catalogue;
pub mod conversation;
pub mod email;
pub mod mask;
pub mod mobile;
pub mod postcode;
pub mod report;
pub mod staff;
pub mod subscriber;
pub mod survey;

pub use catalogue::{MessageType, Priority, Provider};
pub use email::EmailAddress;
pub use mobile::MobileNumber;
pub use postcode::Postcode;
