//! The `/v1` resources, one file per area.

pub(crate) mod campaigns;
pub(crate) mod customers;
pub(crate) mod events;
pub(crate) mod insights;
