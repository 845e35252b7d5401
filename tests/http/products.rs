//! Products and product lines: create, edit, archive, delete; validation,
//! stale edits, roles, tenancy, the next release and the release history.
//! Keys start with Z so they never meet the demo portfolio's.

use crate::helpers::{Browser, audit_count, location, spawn_app, tenant_id, user_id};
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

const NEW: &str = "/acme/products/new";

/// Form fields as posted.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// (id, key, name, colour, archived, revision) of a stored product.
type ProductRow = (Uuid, String, String, String, bool, i32);

async fn create_product(b: &Browser, key: &str, name: &str) -> reqwest::Response {
    b.post(
        "/acme/products",
        NEW,
        &[("key", key), ("name", name), ("colour", "#0f766e")],
    )
    .await
}

/// The acme product `key`.
async fn product_row(owner: &PgPool, key: &str) -> Option<ProductRow> {
    sqlx::query_as(
        "SELECT p.id, p.key, p.name, p.colour, p.archived, p.revision
           FROM products p JOIN tenants t ON t.id = p.tenant_id
          WHERE t.slug = 'acme' AND p.key = $1",
    )
    .bind(key)
    .fetch_optional(owner)
    .await
    .expect("query")
}

async fn product_count(owner: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM products WHERE name = $1")
        .bind(name)
        .fetch_one(owner)
        .await
        .expect("count")
}

/// Inserts a release of `product` (owner pool; the releases pages are
/// another area's).
async fn insert_release(owner: &PgPool, product: Uuid, version: &str, status: &str) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO releases (tenant_id, id, product_id, version, type, status)
         SELECT tenant_id, $2, id, $3, 'minor', $4 FROM products WHERE id = $1",
    )
    .bind(product)
    .bind(id)
    .bind(version)
    .bind(status)
    .execute(owner)
    .await
    .expect("release");
    id
}

/// Inserts a deployment of `release` to `environment` starting `days` from now.
async fn insert_deployment(owner: &PgPool, release: Uuid, environment: Uuid, days: i32) {
    sqlx::query(
        "INSERT INTO deployments (tenant_id, id, release_id, environment_id, planned_start, planned_end)
         SELECT tenant_id, $2, id, $3, now() + make_interval(days => $4),
                now() + make_interval(days => $4, hours => 2)
           FROM releases WHERE id = $1",
    )
    .bind(release)
    .bind(Uuid::now_v7())
    .bind(environment)
    .bind(days)
    .execute(owner)
    .await
    .expect("deployment");
}

#[sqlx::test(migrations = false)]
async fn a_planner_creates_edits_and_deletes_a_product(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let r = b
        .post(
            "/acme/products",
            "/acme/products/lines/new",
            &[("name", "Zeta channels")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let line: Uuid =
        sqlx::query_scalar("SELECT id FROM product_lines WHERE name = 'Zeta channels'")
            .fetch_one(&app.owner)
            .await
            .expect("line");
    let rm = user_id(&app.owner, "rm@acme.test").await.to_string();
    let line_id = line.to_string();
    // A lower-case key is upper-cased.
    let r = b
        .post(
            "/acme/products",
            NEW,
            &[
                ("key", " zpay "),
                ("name", "Zeta Payments"),
                ("description", "Card and wire payments."),
                ("owner", &rm),
                ("product_line", &line_id),
                ("colour", "#7e22ce"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/acme/products/ZPAY");
    let (id, key, _, colour, archived, _) = product_row(&app.owner, "ZPAY").await.expect("created");
    assert_eq!(
        (key.as_str(), colour.as_str(), archived),
        ("ZPAY", "#7e22ce", false)
    );
    assert_eq!(audit_count(&app.owner, "product.created").await, 1);

    let (status, list) = b.get_text("/acme/products").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Product ZPAY created."));
    let line_at = list.find("Zeta channels").expect("line heading");
    let product_at = list.find("Zeta Payments").expect("product listed");
    assert!(line_at < product_at, "listed under its line");
    assert!(list.contains("Rami Release") && list.contains("none planned"));
    assert!(list.contains("fill=\"#7e22ce\""), "the colour edge");

    // The key in a URL is read in any case; the canonical one is upper-case.
    let r = b.get("/acme/products/zpay").await;
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(location(&r), "/acme/products/ZPAY");
    let (status, page) = b.get_text("/acme/products/ZPAY").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Card and wire payments.") && page.contains("product created"));
    assert!(page.contains("has no releases yet"));

    // Edit: a posted key is ignored; a custom colour is normalised.
    let r = b
        .post(
            "/acme/products/ZPAY/edit",
            "/acme/products/zpay/edit",
            &[
                ("key", "ZOTHER"),
                ("name", "Zeta Payments Hub"),
                ("owner", ""),
                ("product_line", ""),
                ("colour", "custom"),
                ("custom_colour", "#ABCDEF"),
                ("revision", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (same_id, key, name, colour, _, revision) =
        product_row(&app.owner, "ZPAY").await.expect("still ZPAY");
    assert_eq!(same_id, id);
    assert_eq!(
        (key.as_str(), name.as_str(), colour.as_str(), revision),
        ("ZPAY", "Zeta Payments Hub", "#abcdef", 2)
    );
    assert!(product_row(&app.owner, "ZOTHER").await.is_none());
    assert_eq!(audit_count(&app.owner, "product.updated").await, 1);
    let (_, page) = b.get_text("/acme/products/ZPAY").await;
    assert!(page.contains("product updated") && page.contains("Zeta Payments Hub"));
    let (_, list) = b.get_text("/acme/products").await;
    assert!(list.contains("No product line"), "now unassigned");

    // Delete: confirmation first, then gone.
    let (status, confirm) = b.get_text("/acme/products/ZPAY/delete").await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Delete ZPAY") && confirm.contains("Delete product"));
    let r = b
        .post(
            "/acme/products/ZPAY/delete",
            "/acme/products/ZPAY/delete",
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/acme/products");
    assert!(product_row(&app.owner, "ZPAY").await.is_none());
    assert_eq!(audit_count(&app.owner, "product.deleted").await, 1);
    let (_, list) = b.get_text("/acme/products").await;
    assert!(list.contains("Product ZPAY deleted."));
}

#[sqlx::test(migrations = false)]
async fn invalid_products_answer_422_and_save_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let outsider = user_id(&app.owner, "rm@globex.test").await.to_string();
    let long_description = "d".repeat(2001);
    let cases: [(&str, Fields, &str); 8] = [
        (
            "empty key",
            vec![("key", ""), ("name", "Zeta Bad")],
            "enter a key",
        ),
        (
            "long key",
            vec![("key", "ZABCDEFGHIJ"), ("name", "Zeta Bad")],
            "2 to 10 letters or digits",
        ),
        (
            "punctuation in key",
            vec![("key", "Z-PAY"), ("name", "Zeta Bad")],
            "only letters",
        ),
        (
            "empty name",
            vec![("key", "ZBAD"), ("name", "  ")],
            "enter a name",
        ),
        (
            "long description",
            vec![
                ("key", "ZBAD"),
                ("name", "Zeta Bad"),
                ("description", &long_description),
            ],
            "at most 2000 characters",
        ),
        (
            "bad colour",
            vec![
                ("key", "ZBAD"),
                ("name", "Zeta Bad"),
                ("colour", "custom"),
                ("custom_colour", "#12345"),
            ],
            "six hex digits",
        ),
        (
            "owner from another tenant",
            vec![("key", "ZBAD"), ("name", "Zeta Bad"), ("owner", &outsider)],
            "choose one of the organisation",
        ),
        (
            "unknown product line",
            vec![
                ("key", "ZBAD"),
                ("name", "Zeta Bad"),
                ("product_line", "0190a0c8-0000-7000-8000-000000000000"),
            ],
            "choose one of the product lines",
        ),
    ];
    for (what, form, message) in cases {
        let r = b.post("/acme/products", NEW, &form).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let html = r.text().await.expect("body");
        assert!(html.contains(message), "{what}: message shown");
        assert!(html.contains("Please correct 1 field"), "{what}: one error");
    }
    // Every problem at once, with the input kept.
    let r = b
        .post(
            "/acme/products",
            NEW,
            &[
                ("key", "z"),
                ("name", ""),
                ("colour", "custom"),
                ("custom_colour", "red"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("Please correct 3 fields"));
    assert!(html.contains("value=\"z\"") && html.contains("value=\"red\""));
    assert_eq!(product_count(&app.owner, "Zeta Bad").await, 0);
    assert_eq!(audit_count(&app.owner, "product.created").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_taken_key_is_a_field_error(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    assert_eq!(
        create_product(&b, "ZDUP", "Zeta First").await.status(),
        StatusCode::SEE_OTHER
    );
    let r = create_product(&b, "zdup", "Zeta Second").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("a product with this key exists"));
    assert!(html.contains("value=\"Zeta Second\""), "input kept");
    // Reported together with the other problems.
    let r = b
        .post("/acme/products", NEW, &[("key", "ZDUP"), ("name", "")])
        .await;
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Please correct 2 fields") && html.contains("a product with this key exists")
    );
    assert_eq!(product_count(&app.owner, "Zeta Second").await, 0);
    // Another tenant may use the same key.
    let globex = app.signed_in("rm@globex.test").await;
    let r = globex
        .post(
            "/globex/products",
            "/globex/products/new",
            &[("key", "ZDUP"), ("name", "Globex Dup")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[sqlx::test(migrations = false)]
async fn a_stale_product_edit_answers_409_and_loses_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    create_product(&b, "ZSTALE", "Zeta Original").await;
    let edit = "/acme/products/ZSTALE/edit";
    let form = |name: &'static str| [("name", name), ("colour", "#2457c5"), ("revision", "1")];
    let r = b.post(edit, edit, &form("Zeta First Edit")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b.post(edit, edit, &form("Zeta Second Edit")).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"Zeta Second Edit\""), "input kept");
    assert!(html.contains("Zeta First Edit"), "current record shown");
    assert!(html.contains("name=\"revision\" value=\"2\""));
    let (.., name, _, _, revision) = product_row(&app.owner, "ZSTALE").await.expect("row");
    assert_eq!((name.as_str(), revision), ("Zeta First Edit", 2));
    assert_eq!(audit_count(&app.owner, "product.updated").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_product_with_releases_is_archived_not_deleted(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    create_product(&b, "ZREL", "Zeta Released").await;
    let (id, ..) = product_row(&app.owner, "ZREL").await.expect("row");
    insert_release(&app.owner, id, "1.0.0", "released").await;
    let (_, confirm) = b.get_text("/acme/products/ZREL/delete").await;
    assert!(confirm.contains("Archive ZREL") && confirm.contains("has releases"));
    let r = b
        .post("/acme/products/ZREL", "/acme/products/ZREL/delete", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/acme/products/ZREL");
    let (.., archived, _) = product_row(&app.owner, "ZREL").await.expect("still there");
    assert!(archived);
    assert_eq!(audit_count(&app.owner, "product.deleted").await, 0);
    assert_eq!(audit_count(&app.owner, "product.archived").await, 1);
    let (_, page) = b.get_text("/acme/products/ZREL").await;
    assert!(page.contains("archived instead of deleted"));
    assert!(page.contains("ZREL 1.0.0"), "release history");

    // Archived products leave the list unless asked for.
    let (_, list) = b.get_text("/acme/products").await;
    assert!(!list.contains("Zeta Released"));
    let (_, list) = b.get_text("/acme/products?archived=true").await;
    assert!(list.contains("Zeta Released") && list.contains("archived"));

    let r = b
        .post("/acme/products/ZREL", "/acme/products/ZREL/unarchive", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (.., archived, _) = product_row(&app.owner, "ZREL").await.expect("row");
    assert!(!archived);
    assert_eq!(audit_count(&app.owner, "product.unarchived").await, 1);
    let r = b
        .post("/acme/products/ZREL", "/acme/products/ZREL/archive", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(audit_count(&app.owner, "product.archived").await, 2);
}

#[sqlx::test(migrations = false)]
async fn the_list_shows_each_products_next_release(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let r = b
        .post(
            "/acme/environments",
            "/acme/environments/new",
            &[("name", "zz-production"), ("is_production", "true")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .post(
            "/acme/environments",
            "/acme/environments/new",
            &[("name", "zz-staging")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let env = |name: &'static str| {
        let owner = app.owner.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM environments WHERE name = $1")
                .bind(name)
                .fetch_one(&owner)
                .await
                .expect("environment")
        }
    };
    let (prod, staging) = (env("zz-production").await, env("zz-staging").await);
    create_product(&b, "ZNEXT", "Zeta Next").await;
    let (product, ..) = product_row(&app.owner, "ZNEXT").await.expect("row");
    // The next release: scheduled, production deployment in 5 days.
    let next = insert_release(&app.owner, product, "2.0.0", "scheduled").await;
    insert_deployment(&app.owner, next, prod, 5).await;
    insert_deployment(&app.owner, next, staging, 3).await;
    // Not next: cancelled; only on staging; already past.
    let cancelled = insert_release(&app.owner, product, "1.9.0", "cancelled").await;
    insert_deployment(&app.owner, cancelled, prod, 2).await;
    let staging_only = insert_release(&app.owner, product, "1.8.0", "planned").await;
    insert_deployment(&app.owner, staging_only, staging, 1).await;
    let past = insert_release(&app.owner, product, "1.7.0", "approved").await;
    insert_deployment(&app.owner, past, prod, -1).await;
    // A later one.
    let later = insert_release(&app.owner, product, "2.1.0", "planned").await;
    insert_deployment(&app.owner, later, prod, 30).await;

    let (_, list) = b.get_text("/acme/products").await;
    let row_start = list.find("Zeta Next").expect("listed");
    let row = &list[row_start..row_start + list[row_start..].find("</tr>").expect("row end")];
    assert!(row.contains("ZNEXT 2.0.0"), "the next release: {row}");
    assert!(row.contains(&format!("/acme/releases/{next}")));
    assert!(!row.contains("none planned"));
    for other in ["1.9.0", "1.8.0", "1.7.0", "2.1.0"] {
        assert!(!row.contains(other), "{other} is not next");
    }

    // The product page lists every release, latest go-live first.
    let (_, page) = b.get_text("/acme/products/ZNEXT").await;
    let at = |v: &str| page.find(&format!("ZNEXT {v}")).expect(v);
    assert!(at("1.8.0") < at("2.1.0"), "unscheduled on top");
    assert!(at("2.1.0") < at("2.0.0") && at("2.0.0") < at("1.9.0") && at("1.9.0") < at("1.7.0"));
    assert!(page.contains("cancelled") && page.contains("not scheduled"));
}

#[sqlx::test(migrations = false)]
async fn viewers_and_approvers_see_no_controls_and_cannot_change_products(owner: PgPool) {
    let app = spawn_app(owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    create_product(&rm, "ZVIEW", "Zeta Viewable").await;
    rm.post(
        "/acme/products",
        "/acme/products/lines/new",
        &[("name", "Zeta line")],
    )
    .await;
    let line: Uuid = sqlx::query_scalar("SELECT id FROM product_lines WHERE name = 'Zeta line'")
        .fetch_one(&app.owner)
        .await
        .expect("line");
    for email in ["exec@acme.test", "cab@acme.test"] {
        let b = app.signed_in(email).await;
        let (status, list) = b.get_text("/acme/products").await;
        assert_eq!(status, StatusCode::OK);
        assert!(list.contains("Zeta Viewable"), "{email} reads the list");
        assert!(!list.contains("New product"), "{email}: no create button");
        assert!(!list.contains("/edit\""), "{email}: no line edit link");
        let (status, page) = b.get_text("/acme/products/ZVIEW").await;
        assert_eq!(status, StatusCode::OK);
        assert!(!page.contains("Edit product") && !page.contains("Delete…"));
        for path in [
            NEW,
            "/acme/products/ZVIEW/edit",
            "/acme/products/ZVIEW/delete",
        ] {
            assert_eq!(
                b.get(path).await.status(),
                StatusCode::FORBIDDEN,
                "{email} GET {path}"
            );
        }
        let line_edit = format!("/acme/products/lines/{line}/edit");
        let line_delete = format!("/acme/products/lines/{line}/delete");
        let posts: [(&str, Fields); 8] = [
            (NEW, vec![("key", "ZNOPE"), ("name", "Nope")]),
            (
                "/acme/products/ZVIEW/edit",
                vec![("name", "Nope"), ("revision", "1")],
            ),
            ("/acme/products/ZVIEW/archive", vec![]),
            ("/acme/products/ZVIEW/unarchive", vec![]),
            ("/acme/products/ZVIEW/delete", vec![]),
            ("/acme/products/lines/new", vec![("name", "Nope line")]),
            (&line_edit, vec![("name", "Nope line"), ("revision", "1")]),
            (&line_delete, vec![]),
        ];
        for (path, form) in posts {
            let r = b.post("/acme/products", path, &form).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email} POST {path}");
        }
    }
    let (_, _, name, _, archived, _) = product_row(&app.owner, "ZVIEW").await.expect("row");
    assert_eq!((name.as_str(), archived), ("Zeta Viewable", false));
    assert!(product_row(&app.owner, "ZNOPE").await.is_none());
    assert_eq!(audit_count(&app.owner, "product.updated").await, 0);
}

#[sqlx::test(migrations = false)]
async fn another_tenants_products_and_lines_are_not_found(owner: PgPool) {
    let app = spawn_app(owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    create_product(&rm, "ZACME", "Zeta Acme Only").await;
    rm.post(
        "/acme/products",
        "/acme/products/lines/new",
        &[("name", "Zeta acme line")],
    )
    .await;
    let line: Uuid =
        sqlx::query_scalar("SELECT id FROM product_lines WHERE name = 'Zeta acme line'")
            .fetch_one(&app.owner)
            .await
            .expect("line");
    let globex = app.signed_in("rm@globex.test").await;
    for path in [
        "/globex/products/ZACME".to_owned(),
        "/globex/products/zacme/edit".to_owned(),
        "/globex/products/ZACME/delete".to_owned(),
        "/acme/products/ZACME".to_owned(),
        "/acme/products".to_owned(),
        format!("/globex/products/lines/{line}/edit"),
        "/globex/products/lines/not-an-id/edit".to_owned(),
        "/globex/products/NO-SUCH-KEY".to_owned(),
    ] {
        assert_eq!(
            globex.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
    }
    for path in [
        "/globex/products/ZACME/edit".to_owned(),
        "/globex/products/ZACME/archive".to_owned(),
        "/globex/products/ZACME/delete".to_owned(),
        format!("/globex/products/lines/{line}/edit"),
        format!("/globex/products/lines/{line}/delete"),
    ] {
        let r = globex
            .post(
                "/globex/products",
                &path,
                &[("name", "Taken over"), ("revision", "1")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    let (.., name, _, archived, _) = product_row(&app.owner, "ZACME").await.expect("row");
    assert_eq!((name.as_str(), archived), ("Zeta Acme Only", false));
    let globex_id = tenant_id(&app.owner, "globex").await;
    let moved: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action LIKE 'product%'",
    )
    .bind(globex_id)
    .fetch_one(&app.owner)
    .await
    .expect("count");
    assert_eq!(moved, 0);
}

#[sqlx::test(migrations = false)]
async fn product_lines_are_created_renamed_and_deleted(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let new_line = "/acme/products/lines/new";
    assert_eq!(
        b.post("/acme/products", new_line, &[("name", "Zeta core")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // Empty and duplicate names.
    let r = b.post("/acme/products", new_line, &[("name", " ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .post("/acme/products", new_line, &[("name", "Zeta core")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("a product line with this name exists")
    );
    assert_eq!(audit_count(&app.owner, "product_line.created").await, 1);

    let line: Uuid = sqlx::query_scalar("SELECT id FROM product_lines WHERE name = 'Zeta core'")
        .fetch_one(&app.owner)
        .await
        .expect("line");
    let line_id = line.to_string();
    b.post(
        "/acme/products",
        NEW,
        &[
            ("key", "ZLINE"),
            ("name", "Zeta Lined"),
            ("product_line", &line_id),
        ],
    )
    .await;
    let edit = format!("/acme/products/lines/{line}/edit");
    let r = b
        .post(
            &edit,
            &edit,
            &[("name", "Zeta core banking"), ("revision", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .post(&edit, &edit, &[("name", "Zeta stale"), ("revision", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"Zeta stale\"") && html.contains("Zeta core banking"));
    assert_eq!(audit_count(&app.owner, "product_line.renamed").await, 1);
    let (_, page) = b.get_text(&edit).await;
    assert!(page.contains("product line renamed"), "history panel");

    let (_, list) = b.get_text("/acme/products").await;
    assert!(list.contains("<h2>Zeta core banking"));
    let delete = format!("/acme/products/lines/{line}/delete");
    let (status, confirm) = b.get_text(&delete).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("becomes unassigned"));
    let r = b.post(&delete, &delete, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let unassigned: Option<Uuid> =
        sqlx::query_scalar("SELECT product_line_id FROM products WHERE key = 'ZLINE'")
            .fetch_one(&app.owner)
            .await
            .expect("product kept");
    assert_eq!(unassigned, None);
    assert_eq!(audit_count(&app.owner, "product_line.deleted").await, 1);
    let (_, list) = b.get_text("/acme/products").await;
    assert!(list.contains("its product is now unassigned"));
    assert!(!list.contains("<h2>Zeta core banking"), "the line is gone");
}
