//! The synthetic catalog: categories with repurchase cycles and products.

/// A product category of the synthetic shop.
#[derive(Debug, Clone)]
pub struct CategorySpec {
    /// Category path.
    pub path: &'static str,
    /// Consumables are bought again on a cycle; durables are not.
    pub consumable: bool,
    /// Mean days between replenishments (consumables).
    pub cycle_days: f64,
    /// Median price.
    pub median_price: f64,
    /// Product nouns.
    pub nouns: &'static [&'static str],
    /// Search phrases customers type for it.
    pub searches: &'static [&'static str],
}

/// The ten categories.
pub const CATEGORIES: &[CategorySpec] = &[
    CategorySpec {
        path: "Grocery > Coffee",
        consumable: true,
        cycle_days: 28.0,
        median_price: 14.0,
        nouns: &[
            "Espresso Beans",
            "Dark Roast Coffee",
            "Ground Coffee",
            "Cold Brew Pack",
            "Decaf Beans",
            "Coffee Pods",
        ],
        searches: &["coffee beans", "espresso", "decaf coffee", "cold brew"],
    },
    CategorySpec {
        path: "Grocery > Tea",
        consumable: true,
        cycle_days: 40.0,
        median_price: 9.0,
        nouns: &[
            "Green Tea",
            "Earl Grey",
            "Oolong Tea",
            "Chamomile Tea",
            "Matcha Powder",
            "Jasmine Tea",
        ],
        searches: &["green tea", "matcha", "herbal tea", "loose leaf tea"],
    },
    CategorySpec {
        path: "Beauty > Skincare",
        consumable: true,
        cycle_days: 55.0,
        median_price: 24.0,
        nouns: &[
            "Face Cream",
            "Vitamin C Serum",
            "Cleansing Gel",
            "Sunscreen SPF50",
            "Night Mask",
            "Eye Cream",
        ],
        searches: &[
            "face cream",
            "serum",
            "sunscreen",
            "moisturizer for dry skin",
        ],
    },
    CategorySpec {
        path: "Beauty > Hair Care",
        consumable: true,
        cycle_days: 45.0,
        median_price: 12.0,
        nouns: &[
            "Shampoo",
            "Conditioner",
            "Hair Oil",
            "Dry Shampoo",
            "Hair Mask",
            "Styling Cream",
        ],
        searches: &["shampoo", "hair oil", "conditioner curly hair"],
    },
    CategorySpec {
        path: "Pets > Pet Food",
        consumable: true,
        cycle_days: 30.0,
        median_price: 32.0,
        nouns: &[
            "Dry Dog Food",
            "Cat Kibble",
            "Wet Cat Food",
            "Puppy Food",
            "Grain-Free Dog Food",
            "Dental Chews",
        ],
        searches: &["dog food", "cat food", "grain free", "puppy food"],
    },
    CategorySpec {
        path: "Home > Cleaning",
        consumable: true,
        cycle_days: 50.0,
        median_price: 8.0,
        nouns: &[
            "Dish Soap",
            "Laundry Pods",
            "Surface Spray",
            "Glass Cleaner",
            "Sponges",
            "Dishwasher Tablets",
        ],
        searches: &["laundry pods", "dish soap", "eco cleaner"],
    },
    CategorySpec {
        path: "Health > Vitamins",
        consumable: true,
        cycle_days: 60.0,
        median_price: 18.0,
        nouns: &[
            "Vitamin D3",
            "Multivitamin",
            "Omega-3",
            "Magnesium",
            "Probiotic",
            "Zinc Tablets",
        ],
        searches: &["vitamin d", "omega 3", "multivitamin", "probiotics"],
    },
    CategorySpec {
        path: "Home > Kitchen Appliances",
        consumable: false,
        cycle_days: 0.0,
        median_price: 89.0,
        nouns: &[
            "Coffee Grinder",
            "Electric Kettle",
            "Blender",
            "Toaster",
            "Air Fryer",
            "Milk Frother",
        ],
        searches: &["coffee grinder", "kettle", "air fryer", "blender"],
    },
    CategorySpec {
        path: "Electronics > Audio",
        consumable: false,
        cycle_days: 0.0,
        median_price: 79.0,
        nouns: &[
            "Wireless Earbuds",
            "Headphones",
            "Bluetooth Speaker",
            "Sleep Headband",
            "Soundbar",
            "Radio",
        ],
        searches: &["earbuds", "noise cancelling headphones", "speaker"],
    },
    CategorySpec {
        path: "Home > Furniture",
        consumable: false,
        cycle_days: 0.0,
        median_price: 149.0,
        nouns: &[
            "Desk Chair",
            "Side Table",
            "Bookshelf",
            "Floor Lamp",
            "Storage Bench",
            "Coat Rack",
        ],
        searches: &["desk chair", "floor lamp", "bookshelf"],
    },
];

pub(crate) const BRANDS: &[&str] = &[
    "Northwind",
    "Harbor & Co",
    "Lumen",
    "Verde",
    "Oakline",
    "Kinso",
    "Blue Fern",
    "Meridian",
];
pub(crate) const ADJECTIVES: &[&str] = &[
    "Classic",
    "Organic",
    "Premium",
    "Everyday",
    "Pure",
    "Signature",
    "Gentle",
    "Bold",
];

/// A product of the synthetic shop.
#[derive(Debug, Clone)]
pub struct Product {
    /// Product id (`P0001`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Index into [`CATEGORIES`].
    pub category: usize,
    /// Brand.
    pub brand: String,
    /// List price.
    pub price: f64,
    /// Popularity weight within its category.
    pub popularity: f64,
    /// Mean star rating its buyers give.
    pub quality: f64,
}
