//! The ticket types `/ticket setup` creates in a guild that has none, so the
//! menu works at once; admins change them with `/ticket admin`.

use crate::domain::panel::{NewType, Question, QuestionStyle};

fn question(label: &str, style: QuestionStyle, required: bool, max: i32, placeholder: &str) -> Question {
    Question {
        label: label.to_owned(),
        style,
        required,
        min_length: None,
        max_length: Some(max),
        placeholder: Some(placeholder.to_owned()),
    }
}

pub fn types() -> Vec<NewType> {
    use QuestionStyle::{Paragraph, Short};
    vec![
        NewType {
            name: "General Support".into(),
            description: "Questions, problems and anything else".into(),
            emoji: Some("💬".into()),
            questions: vec![question(
                "What do you need help with?",
                Paragraph,
                true,
                1000,
                "Tell us what happened and what you expected",
            )],
        },
        NewType {
            name: "Billing".into(),
            description: "Payments, refunds and invoices".into(),
            emoji: Some("💳".into()),
            questions: vec![
                question("Order or invoice number", Short, false, 100, "For example INV-2041"),
                question("What is the problem?", Paragraph, true, 1000, "A charge you don't recognise, a refund…"),
            ],
        },
        NewType {
            name: "Report a user".into(),
            description: "Someone breaking the server's rules".into(),
            emoji: Some("🚩".into()),
            questions: vec![
                question("Who are you reporting?", Short, true, 100, "Their name or user id"),
                question("What happened?", Paragraph, true, 1000, "Where and when, in your words"),
                question("Links to messages or screenshots", Paragraph, false, 1000, "Optional"),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_types_fit_discords_limits() {
        for t in super::types() {
            assert!(t.name.chars().count() <= 45, "a modal title holds 45 characters: {}", t.name);
            assert!(t.description.chars().count() <= 100);
            assert!((1..=5).contains(&t.questions.len()));
            for q in &t.questions {
                assert!(q.label.chars().count() <= 45, "{}", q.label);
                assert!(q.placeholder.as_deref().unwrap_or_default().chars().count() <= 100);
            }
        }
    }
}
