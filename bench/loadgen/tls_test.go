package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeSelfSigned writes a self-signed certificate and its key under dir and returns their paths; it serves
// both as a CA bundle and as a client certificate.
func writeSelfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "loadgen-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

func TestTLSFlagsMakeEtcdctlsClientConfig(t *testing.T) {
	cert, key := writeSelfSigned(t, t.TempDir())
	finish := func(endpoints string, set func(*common)) (*common, error) {
		c := &common{clients: 1, conns: 1}
		set(c)
		return c, c.finish(endpoints)
	}
	// Plain endpoints without TLS flags dial plain.
	if c, err := finish("127.0.0.1:2379,http://127.0.0.1:2381", func(*common) {}); err != nil || c.tls != nil {
		t.Fatalf("plain: tls %v, err %v", c.tls, err)
	}
	// An https:// endpoint alone still dials TLS (verified against the system's roots).
	if c, err := finish("https://127.0.0.1:2379", func(*common) {}); err != nil || c.tls == nil ||
		c.tls.RootCAs != nil || c.tls.InsecureSkipVerify || c.tls.GetClientCertificate != nil {
		t.Fatalf("https without files: %+v, err %v", c.tls, err)
	}
	// The files: the CA verifies the server, the certificate is presented, bare host:port endpoints dial TLS.
	c, err := finish("127.0.0.1:2379,https://127.0.0.1:2381", func(c *common) { c.cacert, c.cert, c.key = cert, cert, key })
	if err != nil || c.tls == nil {
		t.Fatalf("files: err %v", err)
	}
	if c.tls.RootCAs == nil || len(c.tls.RootCAs.Subjects()) != 1 || c.tls.InsecureSkipVerify {
		t.Fatalf("--cacert did not become the only root: %+v", c.tls)
	}
	if c.tls.GetClientCertificate == nil {
		t.Fatalf("--cert/--key are not presented: %+v", c.tls)
	}
	if presented, err := c.tls.GetClientCertificate(nil); err != nil || len(presented.Certificate) != 1 {
		t.Fatalf("--cert/--key present %v, err %v", presented, err)
	}
	if c, err := finish("https://127.0.0.1:2379", func(c *common) { c.skipVerify = true }); err != nil || !c.tls.InsecureSkipVerify {
		t.Fatalf("--insecure-skip-tls-verify: %+v, err %v", c.tls, err)
	}
	// Refused: half a key pair, a missing file, TLS toward an http:// endpoint.
	for what, set := range map[string]func(*common){
		"cert without key": func(c *common) { c.cert = cert },
		"key without cert": func(c *common) { c.key = key },
		"missing CA file":  func(c *common) { c.cacert = filepath.Join(t.TempDir(), "none.pem") },
	} {
		if _, err := finish("https://127.0.0.1:2379", set); err == nil {
			t.Errorf("%s was accepted", what)
		}
	}
	if _, err := finish("http://127.0.0.1:2379", func(c *common) { c.cacert = cert }); err == nil ||
		!strings.Contains(err.Error(), "http://") {
		t.Errorf("--cacert with an http:// endpoint: err %v", err)
	}
}
