# Central pages: projects, tasks, publishing, end date, follow-up.

## Projects
project-list-title = Projects
project-list-caption = Projects and their tasks
project-list-empty = There are no projects yet.
project-new-link = New project
project-new-title = New project
project-create = Create project
project-created = The project has been created.
project-back-to-list = Back to the projects
project-task-count = { $n ->
    [one] One task
   *[other] { $n } tasks
}
hint-project-name = The name must be unique, e.g. "Shared municipal infrastructure".
col-tasks = Tasks

## The task list
task-list-title = Tasks
task-list-caption = Tasks with state and progress
task-list-summary = { $n ->
    [0] No tasks match the filters.
    [one] One task.
   *[other] { $n } tasks.
}
task-new-link = New task
task-progress = { $settled } of { $total }
task-progress-settled = { $settled } of { $total } members are done
task-not-published = not published
task-follow-up-link = Follow-up
filter-state = State
filter-all-states = All states
filter-project = Project
filter-all-projects = All projects
col-progress = Progress
col-follow-up = Follow-up

task-state-draft = Draft
task-state-published = Published
task-state-closed = Closed
task-state-withdrawn = Withdrawn

## The task form
task-new-title = New task
task-new-lead = The task is saved as a draft. Members see it only once you publish it.
task-edit-title = Edit the draft { $s }
task-create-draft = Save as draft
task-save-draft = Save the draft
task-choose-project = Choose a project
task-no-projects = There are no projects yet.
task-no-roles = The role catalogue is empty.
task-edit-conflict = Someone else saved the draft while you were editing. Your changes are below; if you save again, they replace the other person's.
task-edit-conflict-link = See the saved version (your changes here are lost)
hint-task-code = E.g. "ID 31" or "KLIK 03".
hint-task-purpose = Why the task must be done.
hint-task-guidance = Written in Markdown: # heading, **bold**, - bullets, [link](https://…). HTML and scripts are removed.
hint-task-phase = The phase of the rollout, e.g. Preparation.
hint-task-target-roles = The roles at the members that the task is meant for.
hint-task-end-date = The task must be done by the end of this day (Danish time).
field-members = Single members
field-regions = Whole regions
field-networks = Networks

## The task page
task-back-to-list = Back to the tasks
task-back-to-task = Back to the task
task-tabs-label = The task's pages
task-tab-task = The task
task-tab-follow-up = Follow-up
task-none = None
task-actions-heading = Actions
task-no-actions = The task cannot be changed in this state.
task-action-edit = Edit the draft
task-action-publish = Publish
task-action-end-date = Change end date
task-action-close = Close the task
task-action-withdraw = Withdraw the task
task-action-follow-up = See the follow-up
task-notice-created = The draft has been created.
task-notice-saved = The draft has been saved.
task-notice-published = The task has been published.
task-notice-end-date = The end date has been changed.
task-notice-closed = The task has been closed.
task-notice-withdrawn = The task has been withdrawn.
task-history-created = created as a draft
task-history-updated = draft edited
task-history-published = { $n ->
    [one] published to one member
   *[other] published to { $n } members
}
task-history-end-date = end date changed
task-history-closed = closed
task-history-withdrawn = withdrawn

## Publishing
task-publish-title = Publish { $s }
task-publish-lead = Choose who gets the task. Once published, every member gets its own copy, and the task can no longer be edited.
task-publish-all = { $n ->
    [one] All members (one)
   *[other] All members ({ $n })
}
task-publish-selection = Selected members, regions and networks
task-publish-selection-hint = The task goes to every member chosen below: one by one, through a whole region or through a network.
task-publish-regions = Whole regions
task-publish-networks = Networks
task-publish-no-networks = No member has a network.
task-publish-members = Single members, by region
task-publish-submit = Publish the task
error-publish-not-draft = Only drafts can be published.

## End date
task-end-date-title = Change the end date of { $s }
task-end-date-current = Current end date
task-end-date-lead = The old date and the reason are kept in the task's history, which members see too.
task-end-date-submit = Change end date
hint-end-date-reason = E.g. "The supplier is late".
error-end-date-state = The end date can only be changed for drafts and published tasks.

## Close and withdraw
task-close-question = Close the task?
task-close-explanation = Members still see the task but can no longer change their status. This cannot be undone.
task-close-button = Yes, close the task
task-withdraw-question = Withdraw the task?
task-withdraw-explanation = The task disappears from the members' lists. This cannot be undone.
task-withdraw-button = Yes, withdraw the task
task-confirm-cancel = No, back to the task

## Follow-up
follow-up-title = Follow-up
follow-up-counts-heading = { $n ->
    [one] Status of one member
   *[other] Status of { $n } members
}
follow-up-percent = { $n }%
follow-up-bar-label = Status of { $total } members: { $done } done, { $started } started, { $not_started } not started and { $not_relevant } not relevant.
follow-up-legend = Legend
follow-up-no-members = No members match the filters.
follow-up-filtered-region = Only members in { $s }.
follow-up-filtered-network = Only members in network { $s }.
follow-up-filtered-both = Only members in { $region } and network { $network }.
filter-all-regions = All regions
filter-all-networks = All networks
follow-up-not-done-heading = { $n ->
    [0] Everyone is done
    [one] One member is not done
   *[other] { $n } members are not done
}
follow-up-all-done = Every member has done the task or reported it not relevant.
follow-up-table-caption = Members not done
follow-up-export-csv = Download the list as CSV
follow-up-export-xlsx = Download the list as an Excel spreadsheet (XLSX)
follow-up-file-prefix = follow-up
error-follow-up-not-published = Only published and closed tasks have a follow-up.

## Issue 11: guidance nested too deeply.
error-guidance-nesting = may nest quotes and lists at most { $n } levels deep.
