//! Who a task reaches (issue 4): the task's target roles resolved through
//! every member's role gallery by `udrul_core::recipients::resolve`. Part of
//! `sql/store.rs` (compiled once per backend the same way); `impl Store`
//! calls this.
//!
//! Four reads whatever the number of members: the task, its members, the
//! current assignments of its target roles at every member, and the
//! mailboxes that can matter (general ones and those of target roles). The
//! rows are grouped by member here and each group resolved in core, so the
//! store applies exactly the rules the unit tests check.

use super::gallery::{ASSIGNMENT_SQL, AssignmentRow, MAILBOX_SQL, MailboxRow};
use super::*;
use udrul_core::recipients::{self, MemberRecipients, TaskRecipients};

pub(super) async fn task_recipients(
    s: &SqlStore,
    task: TaskId,
    only: Option<&[MemberId]>,
    day: NaiveDate,
) -> StoreResult<TaskRecipients> {
    let mut c = s.read().await?;
    let t = fetch_task(&mut c, task)
        .await?
        .ok_or(StoreError::NotFound)?;

    // A draft has no instances yet: it would go to every member (or the
    // audience the caller names). Otherwise the members it went to.
    let member_rows: Vec<MemberRow> = if t.state == TaskState::Draft {
        sqlx::query_as("SELECT id, code, name, region, network FROM members ORDER BY name, id")
            .fetch_all(&mut *c)
            .await
            .map_err(db)?
    } else {
        sqlx::query_as(
            "SELECT m.id, m.code, m.name, m.region, m.network FROM members m \
             WHERE m.id IN (SELECT member_id FROM task_instances WHERE task_id = $1) \
             ORDER BY m.name, m.id",
        )
        .bind(task.0)
        .fetch_all(&mut *c)
        .await
        .map_err(db)?
    };
    let only: Option<BTreeSet<MemberId>> = only.map(|ids| ids.iter().copied().collect());
    let members: Vec<Member> = member_rows
        .into_iter()
        .map(Member::from)
        .filter(|m| only.as_ref().is_none_or(|o| o.contains(&m.id)))
        .collect();

    // Assignments that hold on `day`, of the task's target roles only.
    let mut held: HashMap<MemberId, Vec<Assignment>> = HashMap::new();
    if !t.target_roles.is_empty() {
        let rows: Vec<AssignmentRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{ASSIGNMENT_SQL} WHERE a.role_id IN \
             (SELECT role_id FROM task_target_roles WHERE task_id = $1) \
             AND a.valid_from <= $2 AND (a.valid_to IS NULL OR a.valid_to >= $2) \
             ORDER BY a.member_id, a.id"
        )))
        .bind(task.0)
        .bind(day)
        .fetch_all(&mut *c)
        .await
        .map_err(db)?;
        for a in rows.into_iter().map(Assignment::from) {
            held.entry(a.member_id).or_default().push(a);
        }
    }

    // General mailboxes, and those of the task's target roles.
    let rows: Vec<MailboxRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{MAILBOX_SQL} WHERE m.role_id IS NULL OR m.role_id IN \
         (SELECT role_id FROM task_target_roles WHERE task_id = $1) \
         ORDER BY m.member_id, m.id"
    )))
    .bind(task.0)
    .fetch_all(&mut *c)
    .await
    .map_err(db)?;
    let mut boxes: HashMap<MemberId, Vec<Mailbox>> = HashMap::new();
    for m in rows.into_iter().map(Mailbox::from) {
        boxes.entry(m.member_id).or_default().push(m);
    }

    let members = members
        .into_iter()
        .map(|member| {
            let reach = recipients::resolve(
                &t.target_roles,
                held.get(&member.id).map_or(&[][..], Vec::as_slice),
                boxes.get(&member.id).map_or(&[][..], Vec::as_slice),
                day,
            );
            MemberRecipients { member, reach }
        })
        .collect();
    Ok(TaskRecipients {
        task_id: t.id,
        state: t.state,
        target_roles: t.target_roles,
        day,
        members,
    })
}
