use recur_llm::WeightFormat;

use crate::smollm;

#[test]
fn round_trips_ascii_cjk_emoji_and_digits() {
    let m = smollm(WeightFormat::AsShipped);
    let t = m.tokenizer();
    for text in [
        "Hello, world! It's 2026.",
        "我们的绿茶今天打八折。",
        "family: 👨‍👩‍👧‍👦 and flags 🇫🇷",
        "  leading spaces\tand\ttabs\n\nnew lines  ",
        "Order #12345 costs $1,299.99",
        "naïve café — “quotes”",
    ] {
        let ids = t.encode(text, false).unwrap();
        assert_eq!(
            t.decode(&ids, false).unwrap(),
            text,
            "round trip of {text:?}"
        );
        // Token bytes concatenate to the text as well (what streaming and constraints use).
        let bytes: Vec<u8> = ids
            .iter()
            .flat_map(|&i| t.token_bytes(i).to_vec())
            .collect();
        assert_eq!(bytes, text.as_bytes());
    }
}

#[test]
fn digits_are_split_one_by_one_and_no_prefix_space_is_added() {
    let m = smollm(WeightFormat::AsShipped);
    let t = m.tokenizer();
    let ids = t.encode("12345", false).unwrap();
    assert_eq!(
        ids.len(),
        5,
        "smollm pre-tokenizer splits every digit: {ids:?}"
    );
    let hello = t.encode("Hello", false).unwrap();
    assert_eq!(hello.len(), 1);
    assert_eq!(t.token_bytes(hello[0]), b"Hello", "no space is prepended");
    let spaced = t.encode(" Hello", false).unwrap();
    assert_ne!(hello, spaced);
}

#[test]
fn control_tokens_are_single_ids_and_stop_generation() {
    let m = smollm(WeightFormat::AsShipped);
    let t = m.tokenizer();
    let ids = t.encode("<|im_start|>user\nHi<|im_end|>", false).unwrap();
    assert_eq!(ids[0], 1);
    assert_eq!(*ids.last().unwrap(), 2);
    assert!(t.is_special(1) && t.is_special(2));
    assert!(t.stop_ids().contains(&2), "<|im_end|> ends a turn");
    assert_eq!(t.decode(&ids, true).unwrap(), "user\nHi");
}

#[test]
fn chat_template_comes_from_the_file() {
    let m = smollm(WeightFormat::AsShipped);
    assert!(m.template().from_model());
    let text = m
        .template()
        .render(&[recur_llm::Message::user("Hi")], true)
        .unwrap();
    assert_eq!(
        text,
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    );
}
