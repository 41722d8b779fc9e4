# Issue 11: error summaries, the member's task page, the central task list
# and ending a role holding (kept in one file so that they merge easily).

# Before the page title when a form has errors: "Error: New task – Udrul".
title-error-prefix = Error

# The member's task page: after a save, a link on to the next open task.
instance-next-open = Next open task
instance-guidance-toggle = Show or hide the guidance

# Ending a role holding asks first (/assignments/{id}/end).
assignment-end-title = End a role
assignment-end-back = Back to the role gallery
assignment-end-person = Person
assignment-end-lead = The person stops holding the role after the last day. Earlier periods are kept as history.
assignment-end-confirm = End the role
field-on = Last day
hint-assignment-end-on = The last day the person holds the role. Empty: today.

# The central task list: search (default: the open tasks).
task-search-label = Find tasks
task-search-field = Search
task-search-hint = In code and title. Without a choice the published tasks are shown, nearest end date first.
