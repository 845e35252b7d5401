-- A collation that compares runs of digits as numbers, so versions sort as
-- people read them (2.9.0 before 2.10.0): the releases list's version order.
-- It needs a PostgreSQL built with ICU (the usual builds are); without ICU
-- it is byte order ("C"), so migrating never fails for it.
DO $$
BEGIN
    CREATE COLLATION version_sort (provider = icu, locale = 'und-u-kn');
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value OR undefined_object THEN
    CREATE COLLATION version_sort FROM "C";
END $$;
