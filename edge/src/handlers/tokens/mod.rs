//! `/api/tokens`: minting and revoking tokens.

pub mod mint;
pub mod revoke;
