DROP FUNCTION IF EXISTS almanac_enter_feed(bytea, text);
DROP TABLE IF EXISTS feed_tokens;
DROP FUNCTION IF EXISTS almanac_feed_token_hash();
