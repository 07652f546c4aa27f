//! The one integration test binary. Every test gets its own database; Redis
//! and PostgreSQL are the real servers; end-to-end tests run the real gateway
//! entry point against the Discord stand-in.

mod support;

mod api_auth;
mod api_billing;
mod api_bodies;
mod api_cookies;
mod api_data;
mod api_health;
mod api_ip_limits;
mod api_oauth_state;
mod api_resources;
mod api_settings;
mod api_tickets;
mod api_tokens;
mod billing_stripe;
mod changes_and_records;
mod content_is_data;
mod crashes;
mod gateway_clusters;
mod guild_messages;
mod identify_budget;
mod inbox_sweeper;
mod log_redaction;
mod modmail_categories;
mod modmail_edit;
mod modmail_open;
mod modmail_recovery;
mod modmail_scale;
mod modmail_settings;
mod modmail_staff;
mod modmail_timers;
mod modmail_workflow;
mod operations;
mod outages;
mod panel_admin;
mod panel_control;
mod panel_open;
mod panel_setup;
mod poison_messages;
mod premium;
mod private_conversations;
mod private_membership;
mod private_retractions;
mod private_transcripts;
mod replays;
mod rest_budget;
mod rest_storms;
mod resumed_cluster;
mod retention;
mod server_choice_timeout;
mod timers_end;
mod transcript_browser;
mod transcripts;
mod transient_refusals;
