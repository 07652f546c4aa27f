//! Ticket transcripts: a closed ticket's messages as one self-contained HTML
//! file that looks like Discord.

pub mod html;
pub mod link;
pub mod make;
pub mod markdown;
pub mod member;
