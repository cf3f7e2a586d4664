//! Golden tests of the analytics on `testdata/tiny-shop`, every value computed by hand.

mod golden;
