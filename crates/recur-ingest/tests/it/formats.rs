//! Presets and formats: Online Retail, CDNOW, gzip, Parquet.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use recur_core::Table;
use recur_ingest::Mapping;

use crate::{Env, testdata};

fn stored_column_strings(env: &Env, table: Table, column: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for path in env.store.table_files(table).unwrap() {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            let batch = batch.unwrap();
            let mut col = batch.column_by_name(column).unwrap().clone();
            // Without arrow's chrono-tz feature (not unified in when only this crate is built),
            // a time zone named `UTC` cannot be cast to text: drop it first (the values are UTC).
            if let DataType::Timestamp(unit, Some(_)) = col.data_type() {
                col = arrow::compute::cast(&col, &DataType::Timestamp(*unit, None)).unwrap();
            }
            let col = arrow::compute::cast(&col, &DataType::Utf8).unwrap();
            let s = col.as_string::<i32>();
            out.extend((0..s.len()).map(|i| (!s.is_null(i)).then(|| s.value(i).to_owned())));
        }
    }
    out
}

/// Writes `batch` as a Parquet file in the test's folder.
fn write_parquet(
    env: &Env,
    name: &str,
    schema: Arc<Schema>,
    batch: &RecordBatch,
) -> std::path::PathBuf {
    let path = env.dir.path().join(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
    path
}

#[test]
fn online_retail_preset_classifies_every_row() {
    let env = Env::new();
    let r = env
        .import(
            Table::Orders,
            &testdata("online-retail-sample.csv"),
            Mapping::preset("online-retail", Table::Orders).unwrap(),
        )
        .unwrap();
    let a = &r.accounting;
    assert!(a.is_balanced());
    assert_eq!(
        (a.read, a.imported, a.quarantined, a.duplicates),
        (9, 7, 1, 1)
    );
    assert_eq!(a.by_reason.imported.get("completed"), Some(&5));
    assert_eq!(a.by_reason.imported.get("cancelled"), Some(&1));
    assert_eq!(a.by_reason.imported.get("returned"), Some(&1));
    assert_eq!(a.by_reason.quarantined.get("negative_price"), Some(&1));
    assert_eq!(a.flags.get("anonymous_no_customer_id"), Some(&3));
    assert_eq!(a.flags.get("zero_price"), Some(&2));
    assert_eq!(a.flags.get("negative_quantity_as_return"), Some(&1));
    // Two months (2010-12 and 2011-12) are two partitions.
    let files = env.store.table_files(Table::Orders).unwrap();
    assert_eq!(files.len(), 2);
    assert!(files[0].to_string_lossy().contains("month=2010-12"));
    // Europe/London: 08:26 in December is 08:26 UTC.
    let times = stored_column_strings(&env, Table::Orders, "ordered_at");
    assert!(
        times
            .iter()
            .flatten()
            .any(|t| t.starts_with("2010-12-01T08:26:00")),
        "{times:?}"
    );
    let currencies = stored_column_strings(&env, Table::Orders, "currency");
    assert!(currencies.iter().all(|c| c.as_deref() == Some("GBP")));
}

#[test]
fn cdnow_preset_reads_whitespace_with_and_without_header() {
    let env = Env::new();
    let r = env
        .import(
            Table::Orders,
            &testdata("cdnow-master-sample.txt"),
            Mapping::preset("cdnow", Table::Orders).unwrap(),
        )
        .unwrap();
    assert_eq!((r.accounting.read, r.accounting.imported), (5, 5));
    let amounts = stored_column_strings(&env, Table::Orders, "amount");
    assert_eq!(
        amounts.iter().flatten().filter(|a| *a == "20.76").count(),
        2
    );
    let prices = stored_column_strings(&env, Table::Orders, "unit_price");
    assert!(prices.iter().flatten().any(|p| p == "15.4"), "{prices:?}");
    let env = Env::new();
    let f = env.file(
        "sample.txt",
        " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n",
    );
    let r = env
        .import(
            Table::Orders,
            &f,
            Mapping::preset("cdnow-sample", Table::Orders).unwrap(),
        )
        .unwrap();
    assert_eq!((r.accounting.read, r.accounting.imported), (2, 2));
    let ids = stored_column_strings(&env, Table::Orders, "customer_id");
    assert_eq!(
        ids,
        vec![Some("00004".to_owned()), Some("00004".to_owned())]
    );
}

#[test]
fn gzip_is_read_directly() {
    let env = Env::new();
    let plain = std::fs::read(testdata("online-retail-sample.csv")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let f = env.file("retail.csv.gz", gz.finish().unwrap());
    let r = env
        .import(
            Table::Orders,
            &f,
            Mapping::preset("online-retail", Table::Orders).unwrap(),
        )
        .unwrap();
    assert_eq!(r.accounting.read, 9);
}

#[test]
fn parquet_sources_are_mapped_like_text() {
    let env = Env::new();
    let schema = Arc::new(Schema::new(vec![
        Field::new("sku", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("price", DataType::Float64, true),
        Field::new("stock", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["p1", "p2", "p3"])),
            Arc::new(StringArray::from(vec![Some("Tea"), None, Some("Coffee")])),
            Arc::new(Float64Array::from(vec![Some(3.5), Some(1.0), None])),
            Arc::new(Int64Array::from(vec![1, 2, 3])) as Arc<dyn Array>,
        ],
    )
    .unwrap();
    let path = write_parquet(&env, "catalog.parquet", schema, &batch);
    let mapping =
        Mapping::from_toml("[columns]\nproduct_id = \"sku\"\ntitle = \"name\"\nprice = \"price\"")
            .unwrap();
    let r = env.import(Table::Catalog, &path, mapping).unwrap();
    // p2 has no title (required): quarantined as row 2.
    assert_eq!((r.accounting.imported, r.accounting.quarantined), (2, 1));
    assert_eq!(
        env.quarantine(&r),
        vec![(2, "name".into(), "missing_value".into())]
    );
}

#[test]
fn parquet_binary_columns_that_are_not_text_are_quarantined() {
    let env = Env::new();
    let schema = Arc::new(Schema::new(vec![
        Field::new("sku", DataType::Binary, false),
        Field::new("name", DataType::Binary, true),
    ]));
    let names: Vec<Option<&[u8]>> = vec![Some(b"Tea"), Some(b"Caf\xe9"), Some("Crème".as_bytes())];
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(arrow::array::BinaryArray::from(vec![
                b"p1".as_slice(),
                b"p2",
                b"p3",
            ])),
            Arc::new(arrow::array::BinaryArray::from(names)) as Arc<dyn Array>,
        ],
    )
    .unwrap();
    let path = write_parquet(&env, "catalog.parquet", schema, &batch);
    let toml = "[columns]\nproduct_id = \"sku\"\ntitle = \"name\"";
    let r = env
        .import(Table::Catalog, &path, Mapping::from_toml(toml).unwrap())
        .unwrap();
    // Before, `Caf\xe9` became a NULL title without a word; now it is quarantined with its
    // column and reason, and the valid UTF-8 titles are stored as text.
    assert_eq!((r.accounting.imported, r.accounting.quarantined), (2, 1));
    assert_eq!(
        env.quarantine(&r),
        vec![(2, "name".into(), "invalid_utf8".into())]
    );
    let titles = stored_column_strings(&env, Table::Catalog, "title");
    assert_eq!(titles, vec![Some("Tea".into()), Some("Crème".into())]);

    // Read as Latin-1, the same bytes are a title.
    let latin = format!("encoding = \"latin1\"\n{toml}");
    let env = Env::new();
    let r = env
        .import(Table::Catalog, &path, Mapping::from_toml(&latin).unwrap())
        .unwrap();
    assert_eq!((r.accounting.imported, r.accounting.quarantined), (3, 0));
    assert!(stored_column_strings(&env, Table::Catalog, "title").contains(&Some("Café".into())));
}

/// Found by `recur bench fuzz --target parquet`: a damaged dictionary page made the Parquet
/// reader assert (exit 101); it is now a damaged file, the user's to replace (exit 1).
#[test]
fn a_parquet_file_the_reader_panics_on_is_reported_as_damaged() {
    let env = Env::new();
    let err = env
        .import(
            Table::Orders,
            &testdata("fuzz/parquet-dictionary-bit-width.parquet"),
            Mapping::default(),
        )
        .unwrap_err();
    assert!(
        matches!(err, recur_ingest::Error::Corrupt { .. }),
        "{err:?}"
    );
    assert!(err.is_user_error());
    assert!(env.store.manifest().unwrap().imports.is_empty());
}
