//! The corpus in `corpus.json`: R4 payloads built from the specification's rules and examples,
//! each with the rule it exercises, its verdict and, when refused, the element at fault and
//! the kind of fault. client-js runs the same corpus against its own check.

use carechain_fhir::{validate, FhirError};

fn fault(error: &FhirError) -> (&'static str, String) {
	match error {
		FhirError::NotJson(_) => ("NotJson", "$".into()),
		FhirError::NotAnObject(p) => ("NotAnObject", p.clone()),
		FhirError::MissingResourceType(p) => ("MissingResourceType", p.clone()),
		FhirError::UnknownResourceType { path, .. } => ("UnknownResourceType", path.clone()),
		FhirError::UnknownElement(p) => ("UnknownElement", p.clone()),
		FhirError::Missing(p) => ("Missing", p.clone()),
		FhirError::BadCode { path, .. } => ("BadCode", path.clone()),
		FhirError::WrongType { path, .. } => ("WrongType", path.clone()),
		FhirError::BadFormat { path, .. } => ("BadFormat", path.clone()),
		FhirError::TwoChoices { path, .. } => ("TwoChoices", path.clone()),
		FhirError::Empty(p) => ("Empty", p.clone()),
		FhirError::TooDeep(p) => ("TooDeep", p.clone()),
		FhirError::Model { path, .. } => ("Model", path.clone()),
	}
}

#[test]
fn every_payload_gets_its_verdict_and_path() {
	let corpus: Vec<serde_json::Value> =
		serde_json::from_str(include_str!("corpus.json")).expect("corpus.json is JSON");
	assert!(corpus.len() >= 40, "the corpus has at least 40 payloads");
	let mut failures = Vec::new();
	for case in &corpus {
		let name = case["name"].as_str().expect("name");
		let json = serde_json::to_vec(&case["resource"]).expect("resource");
		let verdict = validate(&json);
		match (case["valid"].as_bool().expect("valid"), &verdict) {
			(true, Ok(_)) => {}
			(true, Err(e)) => failures.push(format!("{name}: refused: {e}")),
			(false, Ok(_)) => failures.push(format!("{name}: accepted ({})", case["rule"])),
			(false, Err(e)) => {
				let (kind, path) = fault(e);
				let want = (case["error"].as_str().unwrap(), case["path"].as_str().unwrap());
				if (kind, path.as_str()) != want {
					failures.push(format!("{name}: {kind} at {path} ({e}), expected {want:?}"));
				}
			}
		}
	}
	assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn messages_name_the_element_the_value_and_what_was_expected() {
	let message = |json: &str| validate(json.as_bytes()).unwrap_err().to_string();
	assert_eq!(
		message(r#"{"resourceType":"Patient","gender":"robot"}"#),
		"Patient.gender is \"robot\": not a code of its required value set \
		 http://hl7.org/fhir/ValueSet/administrative-gender"
	);
	assert_eq!(
		message(
			r#"{"resourceType":"Observation","status":"final","code":{"text":"x"},"effectiveDateTime":"yesterday"}"#
		),
		"Observation.effectiveDateTime is \"yesterday\": not a valid FHIR dateTime (YYYY, \
		 YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss) with Z or ±hh:mm)"
	);
	assert_eq!(
		message(r#"{"resourceType":"Patient","active":"yes"}"#),
		"Patient.active must be a JSON boolean (true or false)"
	);
	assert_eq!(
		message(r#"{"resourceType":"Patient","extension":[{"valueString":"x"}]}"#),
		"Patient.extension[0].url is required"
	);
}

#[test]
fn nesting_is_bounded() {
	let mut json = r#"{"resourceType":"Patient"}"#.to_owned();
	for _ in 0..=carechain_fhir::MAX_NESTING {
		json = format!(
			r#"{{"resourceType":"Bundle","type":"collection","entry":[{{"resource":{json}}}]}}"#
		);
	}
	assert!(matches!(validate(json.as_bytes()), Err(FhirError::TooDeep(_))));
	let mut deep = "1".to_owned();
	for _ in 0..100_000 {
		deep = format!("[{deep}]");
	}
	assert!(
		matches!(validate(deep.as_bytes()), Err(FhirError::NotJson(_))),
		"serde_json's own depth limit"
	);
}

#[test]
fn indexed_types_follow_the_resource_type() {
	use carechain_primitives::FhirResourceType as T;
	let check = |json: &str| validate(json.as_bytes()).unwrap();
	assert_eq!(check(r#"{"resourceType":"Patient"}"#), T::Patient);
	assert_eq!(
		check(r#"{"resourceType":"Condition","subject":{"reference":"Patient/1"}}"#),
		T::Condition
	);
	assert_eq!(check(r#"{"resourceType":"Basic","code":{"text":"x"}}"#), T::Other);
}
