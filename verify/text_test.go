package verify

import (
	"strings"
	"testing"

	"github.com/detourhq/detour/smpp/coding"
)

func TestEveryLanguageHasATextThatFitsOneSMS(t *testing.T) {
	brand := strings.Repeat("Ü", MaxBrandLength)
	for _, lang := range Languages {
		if _, ok := templateLanguages[lang]; !ok {
			t.Errorf("%s: no WhatsApp template language", lang)
		}
		for _, minutes := range []int{1, 10, 60} {
			for _, b := range []string{"", brand} {
				s := smsText(lang, b, "1234567890", minutes)
				if !strings.Contains(s, "1234567890") || strings.Contains(s, "{") {
					t.Errorf("%s: %q", lang, s)
				}
				if n := coding.Segments(s, coding.Options{}); n != 1 {
					t.Errorf("%s: %q takes %d segments", lang, s, n)
				}
			}
		}
	}
	for _, tt := range []struct{ lang, brand, want string }{
		{"en", "", "Your code is 123456. It expires in 10 minutes."},
		{"en", "Acme", "Acme: Your code is 123456. It expires in 1 minute."},
		{"es", "", "Tu código es 123456. Caduca en 10 minutos."},
		{"fr", "", "Votre code est 123456. Il expire dans 10 minutes."},
		{"de", "", "Ihr Code lautet 123456. Er läuft in 10 Minuten ab."},
		{"pt", "", "Seu código é 123456. Expira em 10 minutos."},
	} {
		minutes := 10
		if tt.brand != "" {
			minutes = 1
		}
		if got := smsText(tt.lang, tt.brand, "123456", minutes); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.lang, got, tt.want)
		}
	}
}

func TestLanguageOfALocale(t *testing.T) {
	for locale, want := range map[string]string{"es-MX": "es", "pt_BR": "pt", "FR": "fr", "de": "de", "nl": "en", "en-GB": "en", "zz": "en"} {
		if got := language(locale); got != want {
			t.Errorf("%s: %s, want %s", locale, got, want)
		}
	}
}
