//! A user editing or deleting a DM they sent: mirrored into the ticket (the
//! staff copy is edited to show the change, the old text kept) and recorded
//! in the message's history. Replays change nothing twice.

use super::super::error::TicketResult;
use super::super::ports::PortError;
use super::super::render::{self, UserChange};
use super::super::TicketService;
use crate::db;
use crate::db::relay_log::UserMessage;
use crate::domain::ids::{MessageId, UserId};

impl TicketService {
    /// A DM was edited. Runs under the user's drain lock, so it never falls
    /// between a relay's post and its record: the DM is either still pending
    /// (the relay will carry the new text) or relayed with its staff copy known.
    #[tracing::instrument(skip(self, new_content))]
    pub async fn user_edited_dm(&self, message: MessageId, user: UserId, new_content: &str) -> TicketResult<()> {
        let lock = self.wait_for_inbox(user).await?;
        let result = self.mirror_edit(message, user, new_content).await;
        self.release_inbox(user, lock).await?;
        result
    }

    async fn mirror_edit(&self, message: MessageId, user: UserId, new_content: &str) -> TicketResult<()> {
        let Some(relayed) = db::relay_log::user_message(&self.db, message).await? else {
            // Not relayed yet: the relay will carry the new text.
            db::inbound::update_pending(&self.db, message, new_content).await?;
            return Ok(());
        };
        if relayed.deleted || relayed.content == new_content {
            return Ok(());
        }
        self.mirror(message, &relayed, new_content, UserChange::Edited { before: &relayed.content }).await?;
        let mut tx = self.db.begin().await?;
        db::relay_log::record_edit(&mut tx, relayed.id, &relayed.content, new_content, user).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A DM was deleted. Deletion events name only the message; a DM we
    /// never stored (one of the bot's own, say) has nothing to mirror. Under
    /// the author's drain lock, like an edit.
    #[tracing::instrument(skip(self))]
    pub async fn user_deleted_dm(&self, message: MessageId) -> TicketResult<()> {
        let Some(stored) = db::inbound::get(&self.db, message).await? else {
            return Ok(());
        };
        let lock = self.wait_for_inbox(stored.user).await?;
        let result = self.mirror_delete(message).await;
        self.release_inbox(stored.user, lock).await?;
        result
    }

    async fn mirror_delete(&self, message: MessageId) -> TicketResult<()> {
        // Still pending (held behind a server or team choice): it is never
        // relayed. Under the drain lock, so no drain holds it half-way.
        if db::inbound::withdraw_if_pending(&self.db, message).await? {
            tracing::info!(%message, "a pending DM was deleted by its author; it will not be relayed");
            return Ok(());
        }
        let Some(relayed) = db::relay_log::user_message(&self.db, message).await? else {
            return Ok(());
        };
        if relayed.deleted {
            return Ok(());
        }
        self.mirror(message, &relayed, &relayed.content, UserChange::Deleted).await?;
        db::relay_log::record_delete(&self.db, relayed.id, relayed.author).await?;
        Ok(())
    }

    /// Edits the staff copy to show the change. A ticket closed since, or a
    /// copy deleted by staff, has nothing left to edit: only the record changes.
    async fn mirror(
        &self,
        message: MessageId,
        relayed: &UserMessage,
        content: &str,
        change: UserChange<'_>,
    ) -> TicketResult<()> {
        let (Some(ticket), Some(copy), Some(mut dm)) = (
            db::tickets::by_id(&self.db, relayed.ticket_id).await?,
            relayed.staff_copy,
            db::inbound::get(&self.db, message).await?,
        ) else {
            return Ok(());
        };
        if !ticket.is_open() {
            return Ok(());
        }
        content.clone_into(&mut dm.content);
        let style = self.relay_style(ticket.guild).await?;
        let shown = render::user_message_changed(&dm, &ticket, relayed.carries_header, &style, change);
        match self.discord.edit_message(ticket.channel, copy, &shown).await {
            Ok(()) | Err(PortError::NotFound) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
