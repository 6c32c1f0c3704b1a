package coding

import (
	"strings"
	"testing"
)

const otp = "Your Detour verification code is 482913. It expires in 10 minutes. Do not share it with anyone."

func BenchmarkSplitOTP(b *testing.B) {
	for _, bc := range []struct {
		name string
		text string
		opts Options
	}{
		{"gsm", otp, Options{}},
		{"gsm-packed", otp, Options{Pack7Bit: true}},
		{"ucs2", "Ваш код подтверждения Detour: 482913. Действует 10 минут.", Options{}},
		{"gsm-3-parts-udh", strings.Repeat(otp+" ", 4), Options{}},
		{"gsm-3-parts-sar-packed", strings.Repeat(otp+" ", 4), Options{Pack7Bit: true, Split: SplitSAR}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.text)))
			for b.Loop() {
				if _, err := Split(bc.text, bc.opts, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSegmentsOTP(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if Segments(otp, Options{}) != 1 {
			b.Fatal("not one segment")
		}
	}
}

func BenchmarkParseReceipt(b *testing.B) {
	const s = "id:1A2B3C4D sub:001 dlvrd:001 submit date:2401151230 done date:2401151231 stat:DELIVRD err:000 text:Your Detour verific"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReceipt(s); err != nil {
			b.Fatal(err)
		}
	}
}
