#include "engine/ca/device_filter.h"

#include <string>

#include "gtest/gtest.h"

namespace consent {
namespace ca {
namespace {

DeviceFilterProgram Compile(absl::string_view rule) {
  std::string error;
  std::optional<DeviceFilterProgram> p = DeviceFilterProgram::Compile(rule, 3072, &error);
  EXPECT_TRUE(p.has_value()) << rule << ": " << error;
  if (!p) return *DeviceFilterProgram::Compile("device.model -eq \"x\"", 3072, &error);
  return *std::move(p);
}

std::string CompileError(absl::string_view rule, size_t max = 3072) {
  std::string error;
  std::optional<DeviceFilterProgram> p = DeviceFilterProgram::Compile(rule, max, &error);
  EXPECT_FALSE(p.has_value()) << rule;
  return error;
}

v1::Device SurfaceDevice() {
  v1::Device d;
  d.set_registered(true);
  d.set_trust_type("AzureAD");
  d.set_is_compliant(true);
  (*d.mutable_attributes())["model"] = "Surface Pro 9";
  (*d.mutable_attributes())["manufacturer"] = "Microsoft";
  (*d.mutable_attributes())["deviceId"] = "dev-1";
  (*d.mutable_attributes())["operatingSystem"] = "Windows";
  (*d.mutable_attributes())["extensionAttribute1"] = "finance";
  d.add_physical_ids("[ZTDID]:abc");
  d.add_system_labels("M365Managed");
  return d;
}

bool Eval(absl::string_view rule, const v1::Device* device) {
  DeviceView view;
  view.Fill(device);
  return Compile(rule).Evaluate(view);
}

TEST(DeviceFilterTest, C3_EveryOperator) {
  v1::Device d = SurfaceDevice();
  struct Case {
    const char* rule;
    bool want;
  } cases[] = {
      {R"(device.model -eq "surface pro 9")", true},  // case-insensitive
      {R"(device.model -ne "Surface Pro 9")", false},
      {R"(device.model -startsWith "Surface")", true},
      {R"(device.model -notStartsWith "Surface")", false},
      {R"(device.model -endsWith "PRO 9")", true},
      {R"(device.model -notEndsWith "9")", false},
      {R"(device.model -contains "pro")", true},
      {R"(device.model -notContains "book")", true},
      {R"(device.model -in ["Surface Laptop", "Surface Pro 9"])", true},
      {R"(device.model -notIn ["Surface Laptop", "Surface Pro 9"])", false},
      {R"(device.deviceId -in ["dev-2","DEV-1"])", true},
      {R"(device.isCompliant -eq True)", true},
      {R"(device.isCompliant -eq "false")", false},
      {R"(device.trustType -eq "AzureAD")", true},
      {R"(device.trustType -ne "ServerAD")", true},
      // Lists match whole elements (Entra).
      {R"(device.physicalIds -contains "[ZTDID]:abc")", true},
      {R"(device.physicalIds -contains "ZTDID")", false},
      {R"(device.systemLabels -notContains "M365Managed")", false},
      {R"(device.extensionAttribute1 -eq "finance")", true},
      {R"(DEVICE.MODEL -EQ "Surface Pro 9")", true},
  };
  for (const Case& c : cases) EXPECT_EQ(Eval(c.rule, &d), c.want) << c.rule;
}

TEST(DeviceFilterTest, C3_NullAttributesOfUnregisteredDevice) {
  // Positive operators on null are false, negative ones true (Entra).
  struct Case {
    const char* rule;
    bool want;
  } cases[] = {
      {R"(device.model -eq "x")", false},
      {R"(device.model -ne "x")", true},
      {R"(device.model -startsWith "x")", false},
      {R"(device.model -notStartsWith "x")", true},
      {R"(device.model -endsWith "x")", false},
      {R"(device.model -notEndsWith "x")", true},
      {R"(device.model -contains "x")", false},
      {R"(device.model -notContains "x")", true},
      {R"(device.model -in ["x"])", false},
      {R"(device.model -notIn ["x"])", true},
      {R"(device.isCompliant -eq True)", false},
      {R"(device.isCompliant -ne True)", true},
      {R"(device.physicalIds -notContains "x")", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Eval(c.rule, nullptr), c.want) << c.rule;
    v1::Device unregistered = SurfaceDevice();
    unregistered.set_registered(false);
    EXPECT_EQ(Eval(c.rule, &unregistered), c.want) << c.rule;
  }
  // A registered device without the attribute: null too.
  v1::Device d = SurfaceDevice();
  EXPECT_FALSE(Eval(R"(device.enrollmentProfileName -eq "x")", &d));
  EXPECT_TRUE(Eval(R"(device.enrollmentProfileName -ne "x")", &d));
}

TEST(DeviceFilterTest, C3_ExtensionAttributesNullUnlessCompliantManagedOrServerAD) {
  v1::Device d = SurfaceDevice();
  d.set_is_compliant(false);
  d.set_is_managed(false);
  d.set_trust_type("Workplace");
  EXPECT_FALSE(Eval(R"(device.extensionAttribute1 -eq "finance")", &d));
  EXPECT_TRUE(Eval(R"(device.extensionAttribute1 -ne "finance")", &d));
  d.set_is_managed(true);
  EXPECT_TRUE(Eval(R"(device.extensionAttribute1 -eq "finance")", &d));
  d.set_is_managed(false);
  d.set_trust_type("ServerAD");
  EXPECT_TRUE(Eval(R"(device.extensionAttribute1 -eq "finance")", &d));
}

TEST(DeviceFilterTest, C3_AndBindsTighterThanOr) {
  v1::Device d = SurfaceDevice();
  // true -or (false -and false) = true; (true -or false) -and false = false.
  EXPECT_TRUE(Eval(R"(device.model -eq "Surface Pro 9" -or device.model -eq "a" -and device.model -eq "b")", &d));
  EXPECT_FALSE(Eval(R"((device.model -eq "Surface Pro 9" -or device.model -eq "a") -and device.model -eq "b")", &d));
  // false -and true -or true = true.
  EXPECT_TRUE(Eval(R"(device.model -eq "a" -and device.model -eq "Surface Pro 9" -or device.manufacturer -eq "Microsoft")", &d));
  EXPECT_FALSE(Eval(R"(device.model -eq "a" -and (device.model -eq "Surface Pro 9" -or device.manufacturer -eq "Microsoft"))", &d));
  EXPECT_TRUE(Eval(R"(((((device.model -eq "Surface Pro 9")))))", &d));
  EXPECT_TRUE(Eval(R"(device.model -eq "Surface Pro 9" -AND device.isCompliant -eq True)", &d));
}

TEST(DeviceFilterTest, C3_ErrorsNamePosition) {
  EXPECT_EQ(CompileError(R"(device.x -eq "1")"), "unknown device attribute \"device.x\" at position 0");
  EXPECT_EQ(CompileError(R"(device.model -eq "1" -andd device.model -eq "2")"),
            "unexpected token \"-andd\" at position 21");
  EXPECT_EQ(CompileError(R"(device.model -eq)"), "expected a value, found end of rule at position 16")
      << "";
  EXPECT_EQ(CompileError(R"((device.model -eq "1")"), "expected \")\", found end of rule at position 21");
  EXPECT_EQ(CompileError(R"(device.model -eq "1)"), "unterminated string \"\\\"1\" at position 17");
  EXPECT_EQ(CompileError(R"(device.model -like "1")"), "expected an operator, found \"-like\" at position 13");
  EXPECT_EQ(CompileError(R"(device.model -in "1")"), "expected [ list ], found \"1\" at position 17");
  EXPECT_EQ(CompileError(R"(device.model -eq "1" $)"), "unexpected character \"$\" at position 21");
  EXPECT_EQ(CompileError(""), "expected device.<attribute>, found end of rule at position 0");
}

TEST(DeviceFilterTest, C3_OperatorsPerAttribute_1_7) {
  for (const char* attr : {"deviceId", "mdmAppId"}) {
    for (const char* op : {"-startsWith", "-contains", "-endsWith", "-notContains"}) {
      std::string rule = std::string("device.") + attr + " " + op + " \"x\"";
      EXPECT_NE(CompileError(rule).find("operator not allowed"), std::string::npos) << rule;
    }
  }
  for (const char* attr : {"deviceOwnership", "isCompliant", "profileType", "trustType"}) {
    for (const char* op : {"-in", "-startsWith", "-contains"}) {
      std::string rule = std::string("device.") + attr + " " + op + " \"x\"";
      EXPECT_NE(CompileError(rule).find("operator not allowed"), std::string::npos) << rule;
    }
  }
  for (const char* attr : {"physicalIds", "systemLabels"}) {
    for (const char* op : {"-eq", "-ne", "-in", "-startsWith"}) {
      std::string rule = std::string("device.") + attr + " " + op + " \"x\"";
      EXPECT_NE(CompileError(rule).find("operator not allowed"), std::string::npos) << rule;
    }
  }
  for (const char* op : {"-eq", "-ne", "-startsWith", "-notStartsWith", "-endsWith",
                         "-notEndsWith", "-contains", "-notContains"}) {
    Compile(std::string("device.model ") + op + " \"x\"");
    Compile(std::string("device.extensionAttribute15 ") + op + " \"x\"");
  }
  Compile(R"(device.deviceId -notIn ["a"])");
  EXPECT_NE(CompileError(R"(device.isCompliant -eq "maybe")").find("True or False"),
            std::string::npos);
}

TEST(DeviceFilterTest, C3_LengthAndDepthLimits) {
  std::string rule = R"(device.model -eq ")" + std::string(3060, 'a') + "\"";
  EXPECT_GT(rule.size(), 3072u);
  EXPECT_NE(CompileError(rule).find("max_device_filter_chars"), std::string::npos);
  std::string deep = std::string(33, '(') + R"(device.model -eq "x")" + std::string(33, ')');
  EXPECT_NE(CompileError(deep).find("nested deeper"), std::string::npos);
  std::string ok = std::string(32, '(') + R"(device.model -eq "x")" + std::string(32, ')');
  Compile(ok);
}

}  // namespace
}  // namespace ca
}  // namespace consent
