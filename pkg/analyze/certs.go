package analyze

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"time"
)

// certUse is one certificate and every place the bundle holds it.
type certUse struct {
	cert    *x509.Certificate
	objects []Object
	files   []string
	keys    []string
}

// readCerts collects the certificates of one PEM value. A value that is
// not PEM (a Secret value elided as "<N> bytes long") holds none.
func (a *analysis) readCerts(p string, obj Object, key string, data []byte) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			a.errorf("%s: %s key %s: %v", p, obj, key, err)
			continue
		}
		sum := sha256.Sum256(block.Bytes)
		id := hex.EncodeToString(sum[:])
		u := a.certs[id]
		if u == nil {
			u = &certUse{cert: c}
			a.certs[id] = u
		}
		u.objects = append(u.objects, obj)
		u.files = append(u.files, p)
		u.keys = append(u.keys, fmt.Sprintf("%s[%s]", obj, key))
	}
}

// checkCerts reports certificates expired or expiring within the window
// at asOf, one finding per certificate naming every place it is.
func (a *analysis) checkCerts(asOf time.Time) {
	for _, u := range a.certs {
		left := u.cert.NotAfter.Sub(asOf)
		if left > a.o.CertWindow {
			continue
		}
		f := Finding{Objects: u.objects, Files: dedupe(u.files)}
		name := u.cert.Subject.CommonName
		if name == "" {
			name = u.cert.Subject.String()
		}
		when := u.cert.NotAfter.UTC().Format(time.RFC3339)
		if left <= 0 {
			f.Severity, f.Check = Critical, "certificate-expired"
			f.Title = fmt.Sprintf("certificate %q in %s expired on %s", name, u.keys[0], when)
		} else {
			f.Severity, f.Check = Warning, "certificate-expiring"
			f.Title = fmt.Sprintf("certificate %q in %s expires on %s, in %d days", name, u.keys[0], when, int(left.Hours()/24))
		}
		if len(u.keys) > 1 {
			f.Message = fmt.Sprintf("also in %d other places", len(u.keys)-1)
		}
		f.Message = joinNonEmpty(f.Message, "issuer "+u.cert.Issuer.String())
		a.add(f)
	}
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
