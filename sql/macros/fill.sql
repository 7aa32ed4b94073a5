-- A message template of the catalogue (schemas/messages.csv) with one {name} place filled: the sentence
-- is the catalogue's, in its language; only the values come from the row. A NULL value leaves '' there.
create or replace macro fill(template, name, value) as replace(template, '{' || name || '}', coalesce(value, ''));
