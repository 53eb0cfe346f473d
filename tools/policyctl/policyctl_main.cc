// policyctl: validate bundles, evaluate one request, run policy test suites.
//
//   policyctl validate BUNDLE...
//   policyctl eval [--json] BUNDLE REQUEST
//   policyctl test [--junit=FILE] [--coverage] [--filter=TEXT] [-v] PATH...
//
// Exit status: 0 success; 1 invalid bundle / failed case; 2 usage or I/O
// error. See policies/README.md.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/policy_engine.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "tools/policyctl/coverage.h"
#include "tools/policyctl/expect.h"
#include "tools/policyctl/junit.h"
#include "tools/policyctl/runner.h"

namespace consent::policyctl {
namespace {

constexpr char kUsage[] =
    "usage:\n"
    "  policyctl validate BUNDLE...\n"
    "      every problem of each bundle, with its field path; exit 1 on any\n"
    "  policyctl eval [--json] BUNDLE REQUEST\n"
    "      the decision for REQUEST (a consent.v1.TokenRequest as textproto,\n"
    "      or protobuf JSON when the file ends in .json; '-' = stdin)\n"
    "  policyctl test [--junit=FILE] [--coverage] [--filter=TEXT] [-v] PATH...\n"
    "      run suites (*.suite.textproto; a directory is searched "
    "recursively)\n";

int Usage(absl::string_view problem) {
  std::cerr << "policyctl: " << problem << "\n" << kUsage;
  return 2;
}

class Collector : public google::protobuf::io::ErrorCollector {
 public:
  explicit Collector(std::string file) : file_(std::move(file)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_ += absl::StrCat(file_, ":", line + 1, ":", column + 1, ": ",
                            message, "\n");
  }
  const std::string& errors() const { return errors_; }

 private:
  std::string file_;
  std::string errors_;
};

int Validate(const std::vector<std::string>& bundles) {
  if (bundles.empty()) return Usage("validate needs at least one BUNDLE");
  int bad = 0;
  for (const std::string& path : bundles) {
    absl::StatusOr<v1::PolicyBundle> bundle = LoadBundleFile(path);
    if (!bundle.ok()) {
      std::cout << "INVALID " << path << "\n  " << bundle.status().message()
                << "\n";
      ++bad;
      continue;
    }
    std::vector<BundleProblem> problems = ValidateBundle(*bundle);
    if (problems.empty()) {
      std::cout << "OK " << path << "\n";
      continue;
    }
    ++bad;
    std::cout << "INVALID " << path << ": " << problems.size()
              << (problems.size() == 1 ? " problem\n" : " problems\n");
    for (const BundleProblem& p : problems) {
      std::cout << "  " << path << ": " << p.ToString() << "\n";
    }
  }
  return bad == 0 ? 0 : 1;
}

int Eval(const std::vector<std::string>& args, bool json) {
  if (args.size() != 2) return Usage("eval needs BUNDLE and REQUEST");
  absl::StatusOr<std::shared_ptr<const CompiledPolicy>> policy =
      CompilePolicyFile(args[0]);
  if (!policy.ok()) {
    std::cerr << "policyctl: " << args[0] << ": " << policy.status().message()
              << "\n";
    return 1;
  }
  std::string text;
  if (args[1] == "-") {
    std::stringstream buffer;
    buffer << std::cin.rdbuf();
    text = buffer.str();
  } else {
    std::ifstream in(args[1], std::ios::binary);
    if (!in) {
      std::cerr << "policyctl: " << args[1] << ": cannot open file\n";
      return 2;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  v1::TokenRequest request;
  if (absl::EndsWith(args[1], ".json")) {
    google::protobuf::util::JsonParseOptions options;
    auto status = google::protobuf::util::JsonStringToMessage(text, &request, options);
    if (!status.ok()) {
      std::cerr << "policyctl: " << args[1] << ": " << status.ToString() << "\n";
      return 2;
    }
  } else {
    google::protobuf::TextFormat::Parser parser;
    Collector collector(args[1]);
    parser.RecordErrorsTo(&collector);
    if (!parser.ParseFromString(text, &request)) {
      std::cerr << "policyctl: invalid request\n" << collector.errors();
      return 2;
    }
  }
  v1::Decision decision = (*policy)->Evaluate(request);
  if (json) {
    std::string out;
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    auto status = google::protobuf::util::MessageToJsonString(decision, &out, options);
    if (!status.ok()) {
      std::cerr << "policyctl: " << status.ToString() << "\n";
      return 2;
    }
    std::cout << out;
  } else {
    std::cout << FormatDecision(decision, "") << "explanation:\n"
              << FormatExplanation(decision.explanation(), "  ");
  }
  return 0;
}

int Test(const std::vector<std::string>& paths, const std::string& junit_path,
         bool coverage_on, const RunOptions& options) {
  if (paths.empty()) return Usage("test needs at least one PATH");
  absl::StatusOr<std::vector<std::string>> suites = FindSuites(paths);
  if (!suites.ok()) {
    std::cerr << "policyctl: " << suites.status().message() << "\n";
    std::cout << "0 passed, 1 failed\n";
    return 1;
  }
  Coverage coverage;
  SuiteRunner runner(options, coverage_on ? &coverage : nullptr, &std::cout);
  RunTotals totals;
  std::vector<JunitSuite> junit;
  for (const std::string& suite : *suites) {
    junit.push_back(runner.Run(suite, &totals));
  }
  if (coverage_on) std::cout << coverage.Report();
  if (!junit_path.empty()) {
    std::ofstream out(junit_path, std::ios::binary | std::ios::trunc);
    out << JunitXml(junit);
    if (!out) {
      std::cerr << "policyctl: " << junit_path << ": cannot write\n";
      ++totals.failed;
    }
  }
  std::cout << totals.passed << " passed, " << totals.failed << " failed\n";
  return totals.failed == 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  // Under `bazel run`, relative paths are the user's: resolve them from the
  // directory bazel was invoked in.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY"); dir != nullptr) {
    if (chdir(dir) != 0) {
      std::cerr << "policyctl: cannot enter " << dir << "\n";
      return 2;
    }
  }
  if (argc < 2) return Usage("missing command");
  std::string command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  std::vector<std::string> positional;
  bool json = false, coverage = false;
  std::string junit;
  RunOptions options;
  for (int i = 2; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--json" && command == "eval") {
      json = true;
    } else if (arg == "--coverage" && command == "test") {
      coverage = true;
    } else if (absl::ConsumePrefix(&arg, "--junit=") && command == "test") {
      if (arg.empty()) return Usage("--junit needs a FILE");
      junit = std::string(arg);
    } else if (absl::ConsumePrefix(&arg, "--filter=") && command == "test") {
      options.filter = std::string(arg);
    } else if ((arg == "-v" || arg == "--verbose") && command == "test") {
      options.verbose = true;
    } else if (absl::StartsWith(arg, "-") && arg != "-") {
      return Usage(absl::StrCat("unknown option \"", argv[i], "\" for ", command));
    } else {
      positional.emplace_back(arg);
    }
  }
  if (command == "validate") return Validate(positional);
  if (command == "eval") return Eval(positional, json);
  if (command == "test") return Test(positional, junit, coverage, options);
  return Usage(absl::StrCat("unknown command \"", command, "\""));
}

}  // namespace
}  // namespace consent::policyctl

int main(int argc, char** argv) { return consent::policyctl::Main(argc, argv); }
