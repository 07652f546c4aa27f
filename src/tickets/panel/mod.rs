//! Panel tickets: the ticket menu members open tickets from, its ticket
//! types and their intake forms. The tickets themselves are the one ticket
//! model (`super::open`, `super::close`), kind `panel`.

pub mod admin;
pub mod admin_view;
pub mod control;
pub mod defaults;
pub mod log;
pub mod menu;
pub mod open;
pub mod setup;
