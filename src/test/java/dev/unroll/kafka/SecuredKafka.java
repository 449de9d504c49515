package dev.unroll.kafka;

import dev.unroll.io.LoopbackPorts;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An embedded KRaft broker that demands credentials, as a production cluster does: clients speak
 * SASL/SCRAM-SHA-512 over TLS, and the standard authorizer allows only what ACLs grant (no ACL,
 * no access). Its certificates are made here, signed by a CA of its own: {@link #truststore()}
 * trusts it, {@link #otherTruststore()} trusts another CA only, and a second listener
 * ({@link #expiredListener()}) presents a certificate that has expired.
 *
 * <p>The users, each with a SCRAM credential from the format: {@code broker} (the broker's own
 * principal, a super user, also its certificate's name on the controller listener, which uses
 * mutual TLS because KRaft controllers cannot check SCRAM) and {@code admin} (a super user, for
 * tests to create topics and ACLs), and the ones a test names.
 */
public final class SecuredKafka implements AutoCloseable {
    public static final String MECHANISM = "SCRAM-SHA-512";
    private static final String HOST = "127.0.0.1";
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final Path dir;
    private final String storePassword = secret();
    private final Map<String, String> passwords = new LinkedHashMap<>();
    private final int expiredPort;
    private final EmbeddedKafka broker;

    /** Starts a broker in {@code dir} (certificates and stores there too) with SCRAM users {@code users} besides broker and admin. */
    public SecuredKafka(Path dir, String... users) {
        this.dir = dir;
        passwords.put("broker", secret());
        passwords.put("admin", secret());
        for (String user : users) {
            passwords.put(user, secret());
        }
        try {
            Certificates certs = new Certificates(dir, storePassword);
            int port = LoopbackPorts.free();
            int controllerPort = LoopbackPorts.freeOtherThan(port);
            expiredPort = LoopbackPorts.freeOtherThan(controllerPort);
            broker = EmbeddedKafka.start(port, controllerPort, serverProperties(certs, port, controllerPort),
                    formatArguments(), clientProperties("admin"));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the test certificates", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** A listener of the same broker whose certificate, signed by the same CA, expired yesterday. */
    public String expiredListener() {
        return HOST + ":" + expiredPort;
    }

    public String password(String user) {
        return passwords.get(user);
    }

    /** The trust store (PKCS12, password {@link #storePassword()}) that holds the broker's CA. */
    public Path truststore() {
        return dir.resolve("truststore.p12");
    }

    /** A trust store of another CA, which never signed the broker's certificate. */
    public Path otherTruststore() {
        return dir.resolve("other-truststore.p12");
    }

    public String storePassword() {
        return storePassword;
    }

    /** A client's settings as {@code user} with its password (no bootstrap servers). */
    public Properties clientProperties(String user) {
        return clientProperties(user, passwords.get(user));
    }

    /** A client's settings as {@code user} with {@code password}, trusting the broker's CA (no bootstrap servers). */
    public Properties clientProperties(String user, String password) {
        Properties p = new Properties();
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", MECHANISM);
        p.put("sasl.jaas.config", jaas(user, password));
        p.put("ssl.truststore.location", truststore().toString());
        p.put("ssl.truststore.password", storePassword);
        p.put("ssl.truststore.type", "PKCS12");
        return p;
    }

    /** The same with the servers, for a client to use as it is. */
    public Properties client(String user) {
        Properties p = clientProperties(user);
        p.put("bootstrap.servers", bootstrapServers());
        return p;
    }

    public static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /** Creates a topic as the admin user. */
    public void createTopic(String name, int partitions) {
        broker.createTopic(name, partitions);
    }

    @Override
    public void close() {
        broker.close();
    }

    private Map<String, String> serverProperties(Certificates certs, int port, int controllerPort) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("listeners", "SASL_SSL://" + HOST + ":" + port + ",EXPIRED://" + HOST + ":" + expiredPort
                + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "SASL_SSL://" + HOST + ":" + port + ",EXPIRED://" + HOST + ":" + expiredPort);
        p.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,EXPIRED:SASL_SSL,CONTROLLER:SSL");
        p.put("inter.broker.listener.name", "SASL_SSL");
        p.put("sasl.enabled.mechanisms", MECHANISM);
        p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        String own = jaas("broker", passwords.get("broker"));
        p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", own);
        p.put("listener.name.expired.scram-sha-512.sasl.jaas.config", own);
        p.put("ssl.keystore.location", certs.brokerKeystore.toString());
        p.put("ssl.keystore.password", storePassword);
        p.put("ssl.key.password", storePassword);
        p.put("ssl.keystore.type", "PKCS12");
        p.put("ssl.truststore.location", truststore().toString());
        p.put("ssl.truststore.password", storePassword);
        p.put("ssl.truststore.type", "PKCS12");
        p.put("listener.name.expired.ssl.keystore.location", certs.expiredKeystore.toString());
        p.put("listener.name.expired.ssl.keystore.password", storePassword);
        p.put("listener.name.expired.ssl.key.password", storePassword);
        p.put("listener.name.expired.ssl.keystore.type", "PKCS12");
        // the controller knows the broker by its certificate: CN=broker is User:broker
        p.put("listener.name.controller.ssl.client.auth", "required");
        p.put("ssl.principal.mapping.rules", "RULE:^CN=([a-z]+)$/$1/,DEFAULT");
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("super.users", "User:broker;User:admin");
        return p;
    }

    private List<String> formatArguments() {
        List<String> args = new ArrayList<>();
        passwords.forEach((user, password) -> {
            args.add("--add-scram");
            args.add(MECHANISM + "=[name=" + user + ",password=" + password + "]");
        });
        return args;
    }

    private static String secret() {
        return UUID.randomUUID().toString().replace("-", "");
    }

    /** The CA, the broker's certificate (valid, and expired) and the stores that hold them, written to a folder. */
    private static final class Certificates {
        final Path brokerKeystore;
        final Path expiredKeystore;

        Certificates(Path dir, String password) throws GeneralSecurityException, OperatorCreationException, IOException {
            Files.createDirectories(dir);
            Instant now = Instant.now();
            KeyPair caKeys = keys();
            X509Certificate ca = caCertificate("CN=unroll test CA", caKeys);
            KeyPair brokerKeys = keys();
            X509Certificate valid = brokerCertificate(ca, caKeys, brokerKeys, now.minus(Duration.ofDays(1)),
                    now.plus(Duration.ofDays(1)));
            X509Certificate expired = brokerCertificate(ca, caKeys, brokerKeys, now.minus(Duration.ofDays(10)),
                    now.minus(Duration.ofDays(1)));
            brokerKeystore = dir.resolve("broker.p12");
            expiredKeystore = dir.resolve("broker-expired.p12");
            writeKeystore(brokerKeystore, password, brokerKeys, valid, ca);
            writeKeystore(expiredKeystore, password, brokerKeys, expired, ca);
            writeTruststore(dir.resolve("truststore.p12"), password, ca);
            writeTruststore(dir.resolve("other-truststore.p12"), password, caCertificate("CN=another CA", keys()));
        }

        private static KeyPair keys() throws GeneralSecurityException {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(256);
            return g.generateKeyPair();
        }

        private static X509Certificate caCertificate(String name, KeyPair keys)
                throws GeneralSecurityException, OperatorCreationException, IOException {
            Instant now = Instant.now();
            X500Name subject = new X500Name(name);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minus(Duration.ofDays(30))), Date.from(now.plus(Duration.ofDays(30))), subject, keys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            return sign(b, keys);
        }

        private static X509Certificate brokerCertificate(X509Certificate ca, KeyPair caKeys, KeyPair keys, Instant from,
                                                         Instant to) throws GeneralSecurityException, OperatorCreationException, IOException {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial(), Date.from(from), Date.from(to),
                    new X500Name("CN=broker"), keys.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            // the broker serves clients and is the controller's client
            b.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            b.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.iPAddress, HOST)));
            return sign(b, caKeys);
        }

        private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer)
                throws GeneralSecurityException, OperatorCreationException {
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
        }

        private static BigInteger serial() {
            return BigInteger.valueOf(SERIAL.incrementAndGet());
        }

        private static void writeKeystore(Path file, String password, KeyPair keys, X509Certificate cert,
                                          X509Certificate ca) throws GeneralSecurityException, IOException {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("broker", keys.getPrivate(), password.toCharArray(), new Certificate[] {cert, ca});
            write(store, file, password);
        }

        private static void writeTruststore(Path file, String password, X509Certificate ca)
                throws GeneralSecurityException, IOException {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ca", ca);
            write(store, file, password);
        }

        private static void write(KeyStore store, Path file, String password) throws GeneralSecurityException, IOException {
            try (OutputStream out = Files.newOutputStream(file)) {
                store.store(out, password.toCharArray());
            }
        }
    }
}
