package verify

import (
	"strconv"
	"strings"
)

// Languages lists the languages the SMS texts exist in. A verification
// asked in another language gets English.
var Languages = []string{"en", "es", "fr", "de", "pt"}

// smsTexts are the texts by language: the code, then the minutes left, in
// the plural and in the singular. Each fits one SMS segment (70 UCS-2
// characters) with a ten-digit code, two-digit minutes and the longest
// brand prefix.
var smsTexts = map[string]struct{ many, one string }{
	"en": {"Your code is {code}. It expires in {n} minutes.", "Your code is {code}. It expires in 1 minute."},
	"es": {"Tu código es {code}. Caduca en {n} minutos.", "Tu código es {code}. Caduca en 1 minuto."},
	"fr": {"Votre code est {code}. Il expire dans {n} minutes.", "Votre code est {code}. Il expire dans 1 minute."},
	"de": {"Ihr Code lautet {code}. Er läuft in {n} Minuten ab.", "Ihr Code lautet {code}. Er läuft in 1 Minute ab."},
	"pt": {"Seu código é {code}. Expira em {n} minutos.", "Seu código é {code}. Expira em 1 minuto."},
}

// templateLanguages are the WhatsApp language codes of the authentication
// template per language: the template must be registered in each.
var templateLanguages = map[string]string{"en": "en", "es": "es", "fr": "fr", "de": "de", "pt": "pt_BR"}

// MaxBrandLength is the longest brand name, in characters.
const MaxBrandLength = 20

// language returns the language of a locale ("es-MX" and "es_ES" are
// "es"), or "en" when there is no text in it.
func language(locale string) string {
	base, _, _ := strings.Cut(strings.ReplaceAll(locale, "_", "-"), "-")
	base = strings.ToLower(base)
	if _, ok := smsTexts[base]; ok {
		return base
	}
	return "en"
}

// smsText returns the text of a verification's SMS in lang: the code (or
// the token that stands for it) and the whole minutes left, after the
// brand if there is one.
func smsText(lang, brand, code string, minutes int) string {
	t, ok := smsTexts[lang]
	if !ok {
		t = smsTexts["en"]
	}
	s := t.many
	if minutes <= 1 {
		s = t.one
	}
	s = strings.Replace(strings.Replace(s, "{n}", strconv.Itoa(max(minutes, 1)), 1), "{code}", code, 1)
	if brand != "" {
		s = brand + ": " + s
	}
	return s
}
