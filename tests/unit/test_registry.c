/* Tests for host/lib/registry.c's reference parsing (no network). */
#include "check.h"
#include "registry.h"

/* ref → registry, repository, tag; NULL registry means the reference is refused. */
static void expect_ref(const char *ref, const char *registry, const char *repo, const char *tag)
{
    struct registry_ref r;
    char err[256];
    int rc = registry_parse_ref(ref, &r, err, sizeof err);
    if (!registry) {
        CHECK(rc != 0);
        return;
    }
    CHECK(rc == 0);
    if (rc != 0)
        return;
    CHECK_STR(r.registry, registry);
    CHECK_STR(r.repo, repo);
    CHECK_STR(r.tag, tag);
    registry_ref_free(&r);
}

static void docker_hub_official_images(void)
{
    expect_ref("hello", "docker.io", "library/hello", "latest");
    expect_ref("docker.io/hello:1", "docker.io", "library/hello", "1");
    expect_ref("index.docker.io/hello", "docker.io", "library/hello", "latest");
}

static void docker_hub_user_images(void)
{
    expect_ref("me/hello:2", "docker.io", "me/hello", "2");
    expect_ref("docker.io/me/hello", "docker.io", "me/hello", "latest");
    expect_ref("index.docker.io/me/hello:3", "docker.io", "me/hello", "3");
}

static void other_registries(void)
{
    expect_ref("localhost:5000/hello:1", "localhost:5000", "hello", "1");
    expect_ref("ghcr.io/team/app/hello", "ghcr.io", "team/app/hello", "latest");
    expect_ref("localhost/hello", "localhost", "hello", "latest");
    expect_ref("[::1]:5000/hello:1", "[::1]:5000", "hello", "1");
    expect_ref("[::1]/team/hello", "[::1]", "team/hello", "latest");
    expect_ref("hello@sha256:00", NULL, NULL, NULL);
}

/* A response read without the network, as registry_read_response reads it. */
static int read_response(const char *text, char *err, size_t errlen)
{
    return registry_read_response(text, strlen(text), err, errlen);
}

static void responses(void)
{
    char err[512];
    /* The registry's own message is quoted, on one line even when it has several. */
    CHECK(read_response("HTTP/1.1 404 Not Found\r\n\r\n{\"errors\":[{\"code\":\"X\","
                        "\"message\":\"manifest unknown\\nsecond line\"}]}",
                        err, sizeof err) == -1);
    CHECK_STR(err, "registry fuzz: a request: not found: manifest unknown second line (HTTP 404)");
    CHECK(read_response("HTTP/1.1 200 OK\n\n{\"token\":\"t\"}", err, sizeof err) == 0);
    CHECK(read_response("HTTP/1.1 200 OK\n\n{}", err, sizeof err) == -1);
    CHECK_STR(err, "registry fuzz: the token service gave no token");
    /* A manifest whose body does not hash to the digest the registry named. */
    CHECK(read_response("HTTP/1.1 200 OK\nDocker-Content-Digest: sha256:00\n\n{\"token\":\"t\"}",
                        err, sizeof err) == -1);
    CHECK(strstr(err, "does not match its digest") != NULL);
    CHECK(read_response("", err, sizeof err) == -1);
    /* A status line at the very end, with no newline after it (the fuzzer's first find). */
    CHECK(read_response("HTTP/1.1 404", err, sizeof err) == -1);
    CHECK_STR(err, "registry fuzz: a request: not found (HTTP 404)");
}

int main(void)
{
    RUN_TEST(docker_hub_official_images);
    RUN_TEST(docker_hub_user_images);
    RUN_TEST(other_registries);
    RUN_TEST(responses);
    CHECK_EXIT();
}
