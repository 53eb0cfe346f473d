"""policy_test: runs policy test suites as an ordinary Bazel test (issue 6).

    load("//policies:policy_test.bzl", "policy_test")

    policy_test(
        name = "contoso_test",
        bundle = ":contoso",   # the bundle file(s), imports included
        suites = glob(["contoso/*.suite.textproto"]),
        data = glob(["contoso/variants/*.overlay.textproto"]),
    )

The generated sh_test runs `policyctl test --coverage --junit=$XML_OUTPUT_FILE`
on the suites, so each suite case is one <testcase> in the target's test.xml
(tools/test.sh counts them) and the test log ends with the coverage report
and the line "N passed, N failed". See policies/README.md.
"""

def policy_test(name, bundle, suites, data = [], coverage = True, **kwargs):
    """Declares an sh_test running `suites` against `bundle`.

    Args:
      name: the test target.
      bundle: label of the bundle file or a filegroup holding it and its
        imports (they must be runfiles for the suites' relative paths).
      suites: suite files (*.suite.textproto); order is kept.
      data: other files the suites name (overlay files).
      coverage: print the coverage report into the test log.
      **kwargs: passed to sh_test (size, tags, ...).
    """
    if not suites:
        fail("policy_test %s: `suites` is empty" % name)
    args = ["$(rootpath //tools/policyctl)"]
    if coverage:
        args.append("--coverage")
    args += ["$(rootpath %s)" % s for s in suites]
    native.sh_test(
        name = name,
        srcs = ["//policies:run_policy_test.sh"],
        args = args,
        data = ["//tools/policyctl", bundle] + suites + data,
        **kwargs
    )
