package detour

import (
	"github.com/nyaruka/phonenumbers"
)

// ParseE164 checks that s is a phone number in strict E.164 form ("+" and
// 8 to 15 digits, no spaces) that libphonenumber's metadata knows as a valid
// number, and returns it with its region code (ISO 3166, such as "GB").
func ParseE164(s string) (number, region string, err error) {
	bad := func(why string) (string, string, error) {
		return "", "", FieldErrorf(CodeInvalidRecipient, "to", "%s", why)
	}
	if s == "" {
		return "", "", FieldErrorf(CodeMissingField, "to", "to is required")
	}
	if len(s) < 2 || s[0] != '+' {
		return bad("to must be an E.164 number: \"+\" and the country code, e.g. +447400123456")
	}
	if len(s) > 16 || len(s) < 9 {
		return bad("an E.164 number has 8 to 15 digits after the \"+\"")
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return bad("an E.164 number has only digits after the \"+\", no spaces or punctuation")
		}
	}
	if s[1] == '0' {
		return bad("a country code never starts with 0")
	}
	num, perr := phonenumbers.Parse(s, "")
	if perr != nil {
		return bad("to is not a valid phone number for its country")
	}
	// IsValidNumber would look the region up itself: look it up once.
	region = phonenumbers.GetRegionCodeForNumber(num)
	if region == "" || !phonenumbers.IsValidNumberForRegion(num, region) {
		return bad("to is not a valid phone number for its country")
	}
	return s, region, nil
}
