// The PIN policy of FLOW.md F2.3, as the server checks it
// (crates/domain/src/pin_policy.rs): length in characters, 8 to 16; an
// uppercase letter; a lowercase letter; a symbol (neither letter, digit nor
// whitespace). Shown and ticked live as the signer types.

export const PIN_RULES = [
  { id: "length", key: "rule_length", test: (pin) => [...pin].length >= 8 && [...pin].length <= 16 },
  { id: "upper", key: "rule_upper", test: (pin) => /\p{Lu}/u.test(pin) },
  { id: "lower", key: "rule_lower", test: (pin) => /\p{Ll}/u.test(pin) },
  { id: "symbol", key: "rule_symbol", test: (pin) => /[^\p{L}\p{N}\s]/u.test(pin) },
];

/** Each rule's id with whether `pin` meets it. */
export function checkPin(pin) {
  return PIN_RULES.map((rule) => ({ id: rule.id, key: rule.key, met: rule.test(pin) }));
}

export function pinAcceptable(pin) {
  return checkPin(pin).every((r) => r.met);
}
