package redact

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	jwt = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJrdWJlcm5ldGVzIiwic3ViIjoic3lzdGVtIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	oat = "sha256~0123456789abcdefghijABCDEFGHIJ-_xyzXYZ01234"
)

func TestLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		// URLs: MaskURLCredentials.
		{"url password", `I1126 proxy.go:12] using proxy http://user:s3cret@proxy:3128 for x`, `I1126 proxy.go:12] using proxy http://user:REDACTED@proxy:3128 for x`},
		{"url token", `git clone https://ghp_abc123@github.com/org/repo`, `git clone https://REDACTED@github.com/org/repo`},
		{"url in JSON", `{"httpsProxy":"https://u:p@h:1","x":1}`, `{"httpsProxy":"https://u:REDACTED@h:1","x":1}`},
		{"url without credentials stays", `GET https://10.0.0.1:6443/api/v1/pods?watch=true`, `GET https://10.0.0.1:6443/api/v1/pods?watch=true`},
		{"mail address stays", `mail me at user@example.com, see http://host/a@b`, `mail me at user@example.com, see http://host/a@b`},

		// Authorization headers.
		{"header bearer", `Authorization: Bearer abc.def-ghi`, `Authorization: Bearer REDACTED`},
		{"header basic lower case", `authorization: basic dXNlcjpwYXNz`, `authorization: basic REDACTED`},
		{"header upper case", `AUTHORIZATION: BEARER xyz`, `AUTHORIZATION: BEARER REDACTED`},
		{"JSON header list", `{"headers":{"Authorization":["Bearer abc123"],"Accept":["*/*"]}}`, `{"headers":{"Authorization":["Bearer REDACTED"],"Accept":["*/*"]}}`},
		{"JSON header string", `"authorization": "Basic dXNlcjpwYXNz"`, `"authorization": "Basic REDACTED"`},
		{"curl", `curl -k -H 'Authorization: Bearer abc' https://api:6443/`, `curl -k -H 'Authorization: Bearer REDACTED' https://api:6443/`},
		{"go header map", `headers=map[Authorization:[Bearer abc] User-Agent:[x]]`, `headers=map[Authorization:[Bearer REDACTED] User-Agent:[x]]`},
		{"proxy authorization", `Proxy-Authorization: Basic dXNlcjpwYXNz`, `Proxy-Authorization: Basic REDACTED`},
		{"authorization prose stays", `Authorization denied: user cannot get pods`, `Authorization denied: user cannot get pods`},
		{"other scheme stays", `Authorization: Negotiate`, `Authorization: Negotiate`},

		// Pairs.
		{"password=", `connecting with password=hunter2 user=admin`, `connecting with password=REDACTED user=admin`},
		{"quoted klog value", `I1126 db.go:3] "connect" user="admin" password="hun ter2" db="x"`, `I1126 db.go:3] "connect" user="admin" password="REDACTED" db="x"`},
		{"single quotes", `passwd='a b c'`, `passwd='REDACTED'`},
		{"colon space", `password: hunter2`, `password: REDACTED`},
		{"JSON", `{"user":"admin","password":"hunter2","n":1}`, `{"user":"admin","password":"REDACTED","n":1}`},
		{"JSON with escaped quote", `{"token":"a\"b","n":1}`, `{"token":"REDACTED","n":1}`},
		{"escaped JSON in a string", `msg="body: {\"client_secret\":\"abc\"}"`, `msg="body: {\"client_secret\":\"REDACTED\"}"`},
		{"env style", `DB_PASSWORD=hunter2 MYSQL_ROOT_PASSWORD=x AWS_SECRET_ACCESS_KEY=AKIA/abc`, `DB_PASSWORD=REDACTED MYSQL_ROOT_PASSWORD=REDACTED AWS_SECRET_ACCESS_KEY=REDACTED`},
		{"flags", `args: --token=abc --client-secret=def --db-pwd=ghi`, `args: --token=REDACTED --client-secret=REDACTED --db-pwd=REDACTED`},
		{"camel case", `accessToken: abc apiKey=def secretKey="jkl"`, `accessToken: REDACTED apiKey=REDACTED secretKey="REDACTED"`},
		{"header", `X-Api-Key: ghi`, `X-Api-Key: REDACTED`},
		{"YAML in a JSON string", `{"data":{"config":"user: a\npassword: b\nport: 1"}}`, `{"data":{"config":"user: a\npassword: REDACTED\nport: 1"}}`},
		{"query", `GET /oauth/callback?code=1&access_token=abc&state=2`, `GET /oauth/callback?code=1&access_token=REDACTED&state=2`},
		{"spaces around =", `secret = abc`, `secret = REDACTED`},
		{"api_key and apikey", `api_key=a apikey=b api-key=c`, `api_key=REDACTED apikey=REDACTED api-key=REDACTED`},
		{"private_key", `private_key="abc"`, `private_key="REDACTED"`},
		{"crlf", "password=abc\r\n", "password=REDACTED\r\n"},
		{"value at the end", "token=abc", "token=REDACTED"},
		{"unterminated quote", `password="abc def`, `password="REDACTED`},

		// Pairs that stay.
		{"password_file stays", `--password_file=/etc/x password-file: /etc/y`, `--password_file=/etc/x password-file: /etc/y`},
		{"TOKEN_URL stays", `TOKEN_URL=https://oauth.example.com/token`, `TOKEN_URL=https://oauth.example.com/token`},
		{"token file stays", `tokenFile: /var/run/secrets/token`, `tokenFile: /var/run/secrets/token`},
		{"secretName stays", `secretName: pull-secret`, `secretName: pull-secret`},
		{"plural stays", `max_tokens=100 secrets: 3`, `max_tokens=100 secrets: 3`},
		{"booleans and nothing stay", `automountServiceAccountToken: false password=nil token: null secret=""`, `automountServiceAccountToken: false password=nil token: null secret=""`},
		{"no space after colon stays", `token:abc secret:ns/name`, `token:abc secret:ns/name`},
		{"prose with a colon stays", `failed to fetch token: serviceaccounts "default" is forbidden`, `failed to fetch token: serviceaccounts "default" is forbidden`},
		{"YAML list item", `  - password: abc`, `  - password: REDACTED`},
		{"header after a quote", `-H 'X-Auth-Token: abc'`, `-H 'X-Auth-Token: REDACTED'`},
		{"comparison stays", `if token == "" {`, `if token == "" {`},
		{"PWD stays", `PWD=/root HOME=/root`, `PWD=/root HOME=/root`},
		{"structures stay", `"token":{"a":1} "password":[1]`, `"token":{"a":1} "password":[1]`},
		{"key= stays", `key="kube-system/coredns" passwordless=true`, `key="kube-system/coredns" passwordless=true`},
		{"masked stays", `password=REDACTED`, `password=REDACTED`},

		// Tokens anywhere.
		{"JWT", `token from file: ` + jwt + ` ok`, `token from file: REDACTED ok`},
		{"OAuth token", `using sha256~` + oat[7:] + `.`, `using sha256~REDACTED.`},
		{"long bearer", `sent Bearer 0123456789abcdefXYZ`, `sent Bearer REDACTED`},
		{"bearer prose stays", `Using bearer token file /var/run/token`, `Using bearer token file /var/run/token`},
		{"short sha256 stays", `image@sha256~abc`, `image@sha256~abc`},
		{"eyJ prose stays", `eyJust a word`, `eyJust a word`},

		// PEM keys on one line.
		{"PEM in JSON", `{"key":"-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n","x":1}`, `{"key":"-----BEGIN RSA PRIVATE KEY-----REDACTED-----END RSA PRIVATE KEY-----\n","x":1}`},
		{"PEM cut in JSON", `{"key":"-----BEGIN PRIVATE KEY-----\nMIIEow","x":1}`, `{"key":"-----BEGIN PRIVATE KEY-----REDACTED","x":1}`},
		{"PEM cut, no quote", `-----BEGIN EC PRIVATE KEY----- MHcCAQEE`, `-----BEGIN EC PRIVATE KEY-----REDACTED`},
		{"PEM certificate stays", `"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"`, `"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"`},
		{"PEM public key stays", `-----BEGIN PUBLIC KEY----- abc`, `-----BEGIN PUBLIC KEY----- abc`},

		{"several rules on one line", `Authorization: Bearer x password=y http://a:b@c`, `Authorization: Bearer REDACTED password=REDACTED http://a:REDACTED@c`},
		{"nothing", "I1126 15:32:39.931570 1 controller.go:1] synced key=ns/name\n", "I1126 15:32:39.931570 1 controller.go:1] synced key=ns/name\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, Line(tc.in)); diff != "" {
				t.Errorf("Line(%q) (-want +got):\n%s", tc.in, diff)
			}
			// The rules find nothing more in what they give.
			if diff := cmp.Diff(tc.want, Line(tc.want)); diff != "" {
				t.Errorf("Line is not idempotent (-want +got):\n%s", diff)
			}
		})
	}
}

// The URL rule is MaskURLCredentials's, on every URL of a line.
func TestLineURLsAsMaskURLCredentials(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"http://user:s3cret@proxy.example.com:3128",
		"https://TOKEN@github.com/org/repo",
		"http://a:b@x,https://c:d@y",
		`{"httpProxy":"http://u:p@h:1"}`,
		"http://host/path@notcreds",
		"s3+https://k:v@bucket x ftp://u@h",
	} {
		if diff := cmp.Diff(MaskURLCredentials(in), Line(in)); diff != "" {
			t.Errorf("Line(%q) (-MaskURLCredentials +Line):\n%s", in, diff)
		}
	}
}
