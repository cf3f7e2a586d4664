use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};

use crate::catalog::CATEGORIES;
use crate::generate::Shop;

/// Errors writing the shop's files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be written.
    #[error("could not write `{path}`: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// OS error.
        #[source]
        source: std::io::Error,
    },
}

/// Paths of the files written by [`Shop::write`].
#[derive(Debug, Clone)]
pub struct ShopFiles {
    /// Products.
    pub catalog: PathBuf,
    /// Customers (with synthetic personal data).
    pub customers: PathBuf,
    /// Order lines.
    pub orders: PathBuf,
    /// Behaviour events.
    pub events: PathBuf,
    /// Reviews.
    pub reviews: PathBuf,
    /// Hidden per-customer parameters.
    pub ground_truth: PathBuf,
}

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

struct Out {
    path: PathBuf,
    w: BufWriter<File>,
}

impl Out {
    fn create(path: PathBuf) -> Result<Out, Error> {
        let f = File::create(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Out {
            w: BufWriter::new(f),
            path,
        })
    }
    fn line(&mut self, s: &str) -> Result<(), Error> {
        writeln!(self.w, "{s}").map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })
    }
    fn done(mut self) -> Result<PathBuf, Error> {
        self.w.flush().map_err(|source| Error::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok(self.path)
    }
}

/// Quotes a CSV field when needed.
fn q(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

impl Shop {
    /// Writes the shop's export files into `dir` (created if needed).
    pub fn write(&self, dir: &Path) -> Result<ShopFiles, Error> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
        let p = &self.products;
        let mut cat = Out::create(dir.join("catalog.csv"))?;
        cat.line("product_id,title,description,category,brand,price,currency")?;
        for x in p {
            cat.line(&format!(
                "{},{},{},{},{},{:.2},USD",
                x.id,
                q(&x.title),
                q(&x.description),
                q(CATEGORIES[x.category].path),
                q(&x.brand),
                x.price
            ))?;
        }
        let mut cus = Out::create(dir.join("customers.csv"))?;
        cus.line("customer_id,email,name,country,locale,signup_at,email_consent")?;
        for c in &self.customers {
            cus.line(&format!(
                "{},{},{},{},{},{},{}",
                c.id,
                c.email,
                q(&c.name),
                c.country,
                c.locale,
                ts(&c.signup_at),
                c.email_consent
            ))?;
        }
        let mut ord = Out::create(dir.join("orders.csv"))?;
        ord.line("order_id,customer_id,ordered_at,product_id,product_title,quantity,unit_price,currency,status")?;
        for (i, o) in self.orders.iter().enumerate() {
            let row = format!(
                "{},{},{},{},{},{},{:.2},USD,{}",
                o.order_id,
                o.customer_id,
                ts(&o.ordered_at),
                p[o.product].id,
                q(&p[o.product].title),
                o.quantity,
                o.unit_price,
                o.status
            );
            ord.line(&row)?;
            if self.config.bad_rows && i == 100 {
                // A line exported twice.
                ord.line(&row)?;
            }
            if self.config.bad_rows && i == 200 {
                ord.line(&format!(
                    "{}X,{},31/02/2025 10:00,{},{},1,{:.2},USD,completed",
                    o.order_id,
                    o.customer_id,
                    p[o.product].id,
                    q(&p[o.product].title),
                    o.unit_price
                ))?;
            }
            if self.config.bad_rows && i == 300 {
                ord.line(&format!(
                    "{}Y,{},{},{},{},1,-{:.2},USD,completed",
                    o.order_id,
                    o.customer_id,
                    ts(&o.ordered_at),
                    p[o.product].id,
                    q(&p[o.product].title),
                    o.unit_price
                ))?;
            }
        }
        let mut ev = Out::create(dir.join("events.jsonl"))?;
        for e in &self.events {
            let mut obj = serde_json::Map::new();
            if let Some(c) = &e.customer_id {
                obj.insert("customer_id".into(), c.as_str().into());
            }
            obj.insert("session_id".into(), e.session_id.clone().into());
            obj.insert("occurred_at".into(), ts(&e.at).into());
            obj.insert("event_type".into(), e.kind.as_str().into());
            if let Some(pi) = e.product {
                obj.insert("product_id".into(), p[pi].id.clone().into());
            }
            if let Some(s) = &e.search {
                obj.insert("search_text".into(), s.clone().into());
            }
            ev.line(&serde_json::Value::Object(obj).to_string())?;
        }
        let mut rev = Out::create(dir.join("reviews.csv"))?;
        rev.line("customer_id,product_id,rating,review_text,reviewed_at,language")?;
        for r in &self.reviews {
            rev.line(&format!(
                "{},{},{},{},{},{}",
                r.customer_id,
                p[r.product].id,
                r.rating,
                q(&r.text),
                ts(&r.at),
                r.language
            ))?;
        }
        let mut gt = Out::create(dir.join("ground_truth.csv"))?;
        gt.line("customer_id,lambda_per_year,dropout_p,churned_at,coupon_type,coupon_uplift_30d,favourite_category")?;
        for t in &self.truth {
            gt.line(&format!(
                "{},{:.4},{:.4},{},{},{:.4},{}",
                t.customer_id,
                t.lambda_per_year,
                t.dropout_p,
                t.churned_at.as_ref().map(ts).unwrap_or_default(),
                t.coupon_type,
                t.coupon_uplift,
                q(&t.favourite_category)
            ))?;
        }
        Ok(ShopFiles {
            catalog: cat.done()?,
            customers: cus.done()?,
            orders: ord.done()?,
            events: ev.done()?,
            reviews: rev.done()?,
            ground_truth: gt.done()?,
        })
    }
}
