-- Employees seen in the last day, for the ops console's employee list: a range over the time of
-- entries that employees made (actor_role is set only for employees), newest day only.
-- See docs/storage-schema.md "audit_log".
CREATE INDEX audit_log_employee_at ON audit_log (at) WHERE actor_role IS NOT NULL;
