//! Expected values, by hand (data end = 2024-05-01 10:00, the last completed order):
//!
//! | customer | orders (amount)                         | recency days | F | M   |
//! |----------|-----------------------------------------|--------------|---|-----|
//! | A        | 01-01 (10), 01-20 (20), 03-01 (30)      | 61           | 3 | 60  |
//! | B        | 01-15 (50), 05-01 (50)                  | 0            | 2 | 100 |
//! | C        | 02-01 (5)                               | 90           | 1 | 5   |
//! | D        | 02-10 (15), 02-20 (15)                  | 71           | 2 | 30  |
//! | E        | 04-01 (40); 04-20 cancelled             | 30           | 1 | 40  |
//!
//! Scores 1 + floor(5 (rank - 1) / 5) with ties at the lowest rank:
//! R: C1 D2 A3 E4 B5; F: C1 E1 B3 D3 A5; M: C1 D2 E3 A4 B5; FM = round((F+M)/2): A5 B4 C1 D3 E2.
//! Segments: A R3/FM5 Loyal, B R5/FM4 Champions, C R1/FM1 Lost, D R2/FM3 At Risk,
//! E R4/FM2 Potential Loyalists.
//!
//! Repurchase within 30 days: all five are eligible (E: 04-01 + 30 d = 05-01); A (19 days) and
//! D (10 days) buy again: 2/5. Within 90 days: eligible A, B, C (C: 02-01 + 90 d = 05-01);
//! only A: 1/3. Customers with 2+ orders: A, B, D = 3/5.
//!
//! Gaps: A 19 and 41, B 107, D 10 → sorted 10, 19, 41, 107: median 30, mean 44.25.
//! Cohorts: 2024-01 {A, B}: A active in months +0 and +2, B in +0 and +4;
//! 2024-02 {C, D}: +0 only; 2024-04 {E}: +0 only.

use std::path::Path;

use recur_analytics::{AnalysisOptions, Session, TableFiles};
use recur_core::Table;
use recur_ingest::{ImportRequest, Mapping, NoProgress, Store, import};

/// Imports `path` into `table` with the canonical column names; no row may be quarantined.
fn import_clean(store: &Store, table: Table, path: std::path::PathBuf) {
    let req = ImportRequest {
        table,
        path,
        format: None,
        mapping: Mapping::default(),
        mapping_label: "test".into(),
    };
    let r = import(store, &req, &NoProgress).unwrap();
    assert_eq!(r.accounting.quarantined, 0, "{:?}", r.accounting);
}

/// The tiny shop's orders and catalog imported into a fresh store.
fn tiny_shop() -> (tempfile::TempDir, TableFiles) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("data")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/tiny-shop");
    import_clean(&store, Table::Orders, root.join("orders.csv"));
    import_clean(&store, Table::Catalog, root.join("catalog.csv"));
    let files = TableFiles::new()
        .with(Table::Orders, store.table_files(Table::Orders).unwrap())
        .with(Table::Catalog, store.table_files(Table::Catalog).unwrap());
    (dir, files)
}

fn session() -> (tempfile::TempDir, Session) {
    let (dir, files) = tiny_shop();
    (dir, Session::open(&files).unwrap())
}

#[test]
fn repurchase_rate_by_window() {
    let (_d, s) = session();
    let opts = AnalysisOptions {
        repurchase_days: 30,
        extra_windows: vec![90],
        ..AnalysisOptions::default()
    };
    let r = s.repurchase_rate(&opts).unwrap();
    assert_eq!((r.days, r.eligible_customers, r.repurchasers), (30, 5, 2));
    assert!((r.rate - 0.4).abs() < 1e-12);
    let w90 = r.windows.iter().find(|w| w.days == 90).unwrap();
    assert_eq!((w90.eligible_customers, w90.repurchasers), (3, 1));
    assert_eq!((r.customers, r.customers_with_2plus_orders), (5, 3));
    assert!((r.share_with_2plus_orders - 0.6).abs() < 1e-12);
}

#[test]
fn rfm_scores_and_segments() {
    let (_d, s) = session();
    let scores = s.rfm_scores().unwrap();
    let got: Vec<(String, u8, u8, u8, String)> = scores
        .iter()
        .map(|c| {
            (
                c.customer_id.to_string(),
                c.r,
                c.f,
                c.m,
                c.segment.to_string(),
            )
        })
        .collect();
    let want = [
        ("A", 3, 5, 4, "Loyal"),
        ("B", 5, 3, 5, "Champions"),
        ("C", 1, 1, 1, "Lost"),
        ("D", 2, 3, 2, "At Risk"),
        ("E", 4, 1, 3, "Potential Loyalists"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(a, r, f, m, s)| ((*a).to_owned(), *r, *f, *m, (*s).to_owned()))
        .collect();
    assert_eq!(got, want);
    let a = &scores[0];
    assert!(
        (a.recency_days - 61.0).abs() < 1e-9
            && a.frequency == 3
            && (a.monetary - 60.0).abs() < 1e-9
    );
    let segs = s.rfm_segments().unwrap();
    assert_eq!(segs.len(), 11);
    let champions = segs
        .iter()
        .find(|x| x.segment.as_str() == "Champions")
        .unwrap();
    assert_eq!(champions.customers, 1);
    assert!((champions.revenue - 100.0).abs() < 1e-9);
    assert!((champions.revenue_share - 100.0 / 235.0).abs() < 1e-12);
    assert_eq!(segs.iter().map(|x| x.customers).sum::<u64>(), 5);
}

#[test]
fn cohort_matrix() {
    let (_d, s) = session();
    let c = s.cohorts().unwrap();
    let got: Vec<(String, u64, Vec<u64>)> = c
        .iter()
        .map(|r| (r.cohort.clone(), r.customers, r.active.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("2024-01".to_owned(), 2, vec![2, 0, 1, 0, 1]),
            ("2024-02".to_owned(), 2, vec![2, 0, 0, 0]),
            ("2024-04".to_owned(), 1, vec![1, 0]),
        ]
    );
    assert_eq!(c[0].retention, vec![1.0, 0.0, 0.5, 0.0, 0.5]);
}

#[test]
fn inter_purchase_overall_and_by_category() {
    let (_d, s) = session();
    let ip = s.inter_purchase(&AnalysisOptions::default()).unwrap();
    assert_eq!(ip.overall.count, 4);
    assert!((ip.overall.median - 30.0).abs() < 1e-9);
    assert!((ip.overall.mean - 44.25).abs() < 1e-9);
    // Coffee: A 01-01 → 01-20 (19 days); B and C buy once. Tea: D 10 days; E once.
    let coffee = ip
        .by_category
        .iter()
        .find(|c| c.category == "Grocery > Coffee")
        .unwrap();
    assert_eq!((coffee.buyers, coffee.gaps.count), (3, 1));
    assert!((coffee.gaps.median - 19.0).abs() < 1e-9);
    assert!((coffee.repeat_share - 1.0 / 3.0).abs() < 1e-12);
    let kitchen = ip
        .by_category
        .iter()
        .find(|c| c.category == "Home > Kitchen")
        .unwrap();
    assert_eq!((kitchen.buyers, kitchen.gaps.count), (2, 0));
}

#[test]
fn overview_and_profile() {
    let (_d, s) = session();
    let o = s.overview().unwrap();
    assert_eq!((o.customers, o.orders, o.anonymous_lines), (5, 9, 1));
    assert!((o.revenue - 235.0).abs() < 1e-9);
    assert_eq!(o.lines_by_status.get("cancelled"), Some(&1));
    let p = s.profile("A").unwrap();
    assert_eq!(p.score.segment.as_str(), "Loyal");
    assert_eq!(p.favourite_categories[0].category, "Grocery > Coffee");
    assert_eq!(p.favourite_categories[0].orders, 2);
    assert!(
        s.profile("nobody")
            .unwrap_err()
            .to_string()
            .contains("`nobody` has no completed orders")
    );
}

#[test]
fn customer_countries_prefer_the_profile_then_most_order_lines() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create(&dir.path().join("data")).unwrap();
    let orders = dir.path().join("orders.csv");
    std::fs::write(
        &orders,
        "order_id,customer_id,ordered_at,product_id,quantity,unit_price,currency,country\n\
         o1,A,2024-01-01,p,1,2,EUR,GB\n\
         o2,A,2024-01-02,p,1,2,EUR,GB\n\
         o3,A,2024-01-03,p,1,2,EUR,FR\n\
         o4,B,2024-01-04,p,1,2,EUR,DE\n\
         o5,C,2024-01-05,p,1,2,EUR,\n",
    )
    .unwrap();
    let customers = dir.path().join("customers.csv");
    std::fs::write(&customers, "customer_id,country\nB,CN\nD,JP\nE,\n").unwrap();
    import_clean(&store, Table::Orders, orders);
    import_clean(&store, Table::Customers, customers);
    let files = TableFiles::new()
        .with(Table::Orders, store.table_files(Table::Orders).unwrap())
        .with(
            Table::Customers,
            store.table_files(Table::Customers).unwrap(),
        );
    let s = Session::open(&files).unwrap();
    let got = s.customer_countries().unwrap();
    let want: Vec<(String, String)> = [("A", "GB"), ("B", "CN"), ("D", "JP")]
        .iter()
        .map(|(c, k)| ((*c).to_owned(), (*k).to_owned()))
        .collect();
    assert_eq!(got, want);
}

/// Under a memory limit too small to hold the orders, the base relations stay views over the
/// Parquet files and every figure is the same.
#[test]
fn a_tight_memory_limit_gives_the_same_report() {
    let (_dir, files) = tiny_shop();
    let opts = AnalysisOptions::default();
    let roomy = Session::open(&files).unwrap().report(&opts).unwrap();
    let tight = Session::open_bounded(&files, true, 1).unwrap();
    assert_eq!(tight.report(&opts).unwrap(), roomy);
    assert_eq!(
        tight.rfm_scores().unwrap(),
        Session::open(&files).unwrap().rfm_scores().unwrap()
    );
}
