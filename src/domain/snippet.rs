//! Snippets: saved answers staff send with `!s <name>`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub name: String,
    pub content: String,
}
