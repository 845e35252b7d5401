DROP TABLE IF EXISTS checklist_items;
DROP TABLE IF EXISTS milestones;
DROP TABLE IF EXISTS deployments;
DROP TABLE IF EXISTS releases;
DROP TABLE IF EXISTS template_checklist_items;
DROP TABLE IF EXISTS template_milestones;
DROP TABLE IF EXISTS release_templates;
DROP TABLE IF EXISTS release_trains;
DROP TABLE IF EXISTS window_exceptions;
DROP TABLE IF EXISTS window_products;
DROP TABLE IF EXISTS window_environments;
DROP TABLE IF EXISTS windows;
DROP TABLE IF EXISTS environments;
DROP TABLE IF EXISTS products;
DROP TABLE IF EXISTS product_lines;
-- btree_gist stays: other objects of the database may use it.
