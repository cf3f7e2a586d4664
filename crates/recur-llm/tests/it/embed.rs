use recur_llm::cosine;

use crate::minilm;

#[test]
fn similar_meanings_are_nearer() {
    let m = minilm();
    let v = m
        .embed(&["running shoes", "sneakers for jogging", "kitchen knife"])
        .unwrap();
    let (near, far) = (cosine(&v[0], &v[1]), cosine(&v[0], &v[2]));
    assert!(near > far + 0.2, "near {near}, far {far}");
    for x in &v {
        let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        assert_eq!(x.len(), 384);
    }
}

#[test]
fn padding_never_changes_a_vector() {
    // Alone, a short text has no padding; batched with a long one it is padded.
    let m = minilm();
    let alone = m.embed(&["green tea"]).unwrap().remove(0);
    let batched = m
        .embed(&[
            "green tea",
            "a much longer sentence about ceramic teapots, kettles and other kitchen things",
        ])
        .unwrap()
        .remove(0);
    let diff = alone
        .iter()
        .zip(&batched)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(diff < 1e-5, "max difference {diff}");
}

#[derive(serde::Deserialize)]
struct Reference {
    texts: Vec<String>,
    ids: Vec<Vec<u32>>,
    embeddings: Vec<Vec<f32>>,
}

/// Token ids and vectors computed independently with Hugging Face `tokenizers` and
/// sentence-transformers (torch, CPU) from the same files; see testdata/minilm_reference.json.
#[test]
fn token_ids_and_vectors_match_sentence_transformers() {
    let r: Reference =
        serde_json::from_str(include_str!("../../testdata/minilm_reference.json")).unwrap();
    let m = minilm();
    for (text, ids) in r.texts.iter().zip(&r.ids) {
        assert_eq!(&m.token_ids(text).unwrap(), ids, "token ids of {text:?}");
    }
    let refs: Vec<&str> = r.texts.iter().map(String::as_str).collect();
    let got = m.embed(&refs).unwrap();
    for ((text, want), have) in r.texts.iter().zip(&r.embeddings).zip(&got) {
        let diff = want
            .iter()
            .zip(have)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(diff < 1e-4, "{text:?}: max abs difference {diff}");
    }
}
