//! client-js's FHIR check walks `client-js/src/fhir-r4.js`, generated from this crate's model by
//! `fhir/scripts/export-r4.py`: it must be the model this crate is built with, so that both
//! checks give the same verdicts.

use serde_json::Value;

fn table() -> Value {
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../client-js/src/fhir-r4.js");
	let source = std::fs::read_to_string(path).expect("client-js/src/fhir-r4.js exists");
	let json = source
		.split_once("export default ")
		.and_then(|(_, rest)| rest.trim_end().strip_suffix(';'))
		.expect("an `export default <JSON>;` module");
	serde_json::from_str(json).expect("the table is JSON")
}

#[test]
fn client_js_walks_the_same_element_definitions() {
	let table = table();
	let exported = table["elements"].as_array().expect("elements");
	let model = fhir::r4::meta::elements();
	assert_eq!(exported.len(), model.len(), "regenerate with python3 fhir/scripts/export-r4.py");
	for (row, element) in exported.iter().zip(model) {
		let required = element
			.binding
			.filter(|b| b.strength == fhir::r4::meta::BindingStrength::Required)
			.and_then(|b| b.value_set)
			.map(|v| v.split('|').next().unwrap_or(v));
		let types: Vec<&str> = element.types.iter().map(|t| t.code).collect();
		let expected = serde_json::json!([
			element.path,
			element.min,
			element.max,
			types,
			element.content_reference,
			required,
		]);
		assert_eq!(row, &expected, "regenerate with python3 fhir/scripts/export-r4.py");
	}
	let lock =
		std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock")).unwrap();
	let pinned =
		lock.split("name = \"fhir-r4\"\nversion = \"").nth(1).and_then(|r| r.split('"').next());
	assert_eq!(table["fhirR4Version"].as_str(), pinned);
}

#[test]
fn client_js_knows_the_codes_of_the_value_sets_checked_beyond_the_model() {
	let table = table();
	for (url, codes) in [
		(
			"http://hl7.org/fhir/ValueSet/immunization-status",
			vec!["completed", "entered-in-error", "not-done"],
		),
		(
			"http://hl7.org/fhir/ValueSet/care-plan-intent",
			vec!["proposal", "plan", "order", "option"],
		),
	] {
		assert_eq!(table["valueSets"][url], serde_json::json!(codes), "{url}");
	}
	assert_eq!(
		table["valueSets"]["http://hl7.org/fhir/ValueSet/administrative-gender"],
		serde_json::json!(["male", "female", "other", "unknown"])
	);
}
