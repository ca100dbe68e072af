// The deployment files (Dockerfile, deploy/): each config the real aigw is given there starts,
// becomes ready on a real Redis and serves a token and an answer; the Compose stack, the
// Kubernetes objects, the ECS task and target group say what docs/deploy.md promises (probes
// on / and /readyz at 8787, non-root, drain time, Redis with AOF). This machine has no Docker
// engine or cluster: the files are checked here, and run where those exist.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "support/aigw_process.h"
#include "support/api_checks.h"
#include "support/http_client.h"
#include "support/redis_server.h"
#include "support/usage_helpers.h"

namespace aigw::testing {
namespace {

namespace json = boost::json;

std::string source_file(const std::string& path) {
  std::ifstream in(std::string(AIGW_SOURCE_DIR) + "/" + path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("no \"" + from + "\" to replace");
  return text.replace(at, from.size(), to);
}

// The Kubernetes object of `kind` in the multi-document manifest.
YAML::Node k8s_object(const std::string& kind) {
  for (const auto& doc : YAML::LoadAll(source_file("deploy/kubernetes/aigw.yaml"))) {
    if (doc["kind"].as<std::string>() == kind) return doc;
  }
  throw std::runtime_error("no " + kind + " in deploy/kubernetes/aigw.yaml");
}

class DeployTest : public ::testing::Test {
 protected:
  // Runs `config` (a deployment's aigw.yaml) with its secrets in the environment and its Redis
  // pointed at the test's; checks it becomes ready and serves the configured client.
  void serve_and_check(const std::string& config) {
    AigwOptions options;
    options.disable_auth = false;
    options.default_mock = false;
    options.env = {{"REDIS_PASSWORD", "redis-pw"},
                   {"AIGW_CLIENT_ID", "platform-agent"},
                   {"AIGW_CLIENT_SECRET", "agent-secret"},
                   {"OPENAI_API_KEY", "sk-test"},
                   {"ANTHROPIC_API_KEY", "sk-ant-test"}};
    AigwProcess gw(config, options);
    EXPECT_EQ(http_request(gw.port(), "GET", "/").status, 200);
    const auto ready = http_request(gw.port(), "GET", "/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
    const std::string token = fetch_token(gw.port(), "platform-agent", "agent-secret");
    const auto budget = http_request(gw.port(), "GET", "/v1/budget", bearer(token));
    EXPECT_EQ(budget.status, 200) << budget.body;
  }

  RedisServer redis_{{"--requirepass", "redis-pw", "--appendonly", "yes"}};
};

TEST_F(DeployTest, TheComposeConfigStartsAndServesOnRedis) {
  const std::string local = "127.0.0.1:" + std::to_string(redis_.port());
  serve_and_check(replaced(source_file("deploy/aigw.yaml"), "@redis:6379/", "@" + local + "/"));
}

TEST_F(DeployTest, TheKubernetesConfigMapsConfigStartsAndServesOnRedis) {
  std::string config = k8s_object("ConfigMap")["data"]["aigw.yaml"].as<std::string>();
  config = replaced(config, "rediss://:${REDIS_PASSWORD}@redis.internal:6380/0",
                    "redis://:${REDIS_PASSWORD}@127.0.0.1:" + std::to_string(redis_.port()) + "/0");
  config = replaced(config, "/var/lib/aigw/data/aigw.db", "./data/aigw.db");
  serve_and_check(config);
}

TEST(DeployFilesTest, TheComposeStackIsRedisWithAofTwoReplicasAndNginx) {
  const YAML::Node compose = YAML::Load(source_file("deploy/compose.yaml"));
  const YAML::Node services = compose["services"];
  for (const char* name : {"redis", "aigw-1", "aigw-2", "nginx"}) {
    EXPECT_TRUE(services[name].IsMap()) << name;
  }
  std::string redis_command;
  for (const auto& part : services["redis"]["command"])
    redis_command += part.as<std::string>() + " ";
  EXPECT_NE(redis_command.find("--appendonly yes"), std::string::npos) << redis_command;
  for (const char* replica : {"aigw-1", "aigw-2"}) {
    const YAML::Node s = services[replica];
    EXPECT_EQ(s["depends_on"]["redis"]["condition"].as<std::string>(), "service_healthy");
    EXPECT_EQ(s["stop_grace_period"].as<std::string>(), "35s");  // drain_timeout + a margin
    bool config_mounted = false;
    for (const auto& v : s["volumes"]) {
      config_mounted |= v.as<std::string>() == "./aigw.yaml:/etc/aigw/aigw.yaml:ro";
    }
    EXPECT_TRUE(config_mounted) << replica;
  }
  EXPECT_EQ(services["nginx"]["ports"][0].as<std::string>(), "8080:8080");
  const std::string nginx = source_file("deploy/nginx.conf");
  for (const char* needle : {"server aigw-1:8787", "server aigw-2:8787", "proxy_buffering off",
                             "X-Forwarded-For", "listen 8080"}) {
    EXPECT_NE(nginx.find(needle), std::string::npos) << needle;
  }
}

TEST(DeployFilesTest, KubernetesProbesLivenessOnSlashAndReadinessOnReadyzAsNonRoot) {
  const YAML::Node deployment = k8s_object("Deployment");
  const YAML::Node pod = deployment["spec"]["template"]["spec"];
  EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>());
  EXPECT_EQ(pod["securityContext"]["runAsUser"].as<int>(), 10001);
  EXPECT_GE(pod["terminationGracePeriodSeconds"].as<int>(), 30);  // drain_timeout
  const YAML::Node container = pod["containers"][0];
  EXPECT_EQ(container["ports"][0]["containerPort"].as<int>(), 8787);
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/");
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  EXPECT_EQ(container["envFrom"][0]["secretRef"]["name"].as<std::string>(), "aigw-secrets");
  EXPECT_EQ(k8s_object("Service")["spec"]["ports"][0]["port"].as<int>(), 8787);
  const YAML::Node hpa = k8s_object("HorizontalPodAutoscaler");
  EXPECT_EQ(hpa["spec"]["metrics"][0]["resource"]["name"].as<std::string>(), "cpu");
  EXPECT_EQ(k8s_object("PodDisruptionBudget")["spec"]["minAvailable"].as<int>(), 2);
}

TEST(DeployFilesTest, EcsChecksSlashOnPort8787AndTheImageRunsAsNonRootWithAHealthcheck) {
  const auto task = json::parse(source_file("deploy/ecs/task-definition.json"));
  const auto& container = task.at("containerDefinitions").at(0);
  EXPECT_EQ(container.at("portMappings").at(0).at("containerPort"), 8787);
  EXPECT_EQ(container.at("user"), "10001:10001");
  EXPECT_GE(container.at("stopTimeout").as_int64(), 30);
  EXPECT_EQ(container.at("healthCheck").at("command").at(1), "aigw");
  const auto group = json::parse(source_file("deploy/ecs/target-group.json"));
  EXPECT_EQ(group.at("HealthCheckPath"), "/");
  EXPECT_EQ(group.at("HealthCheckPort"), "8787");

  const std::string dockerfile = source_file("Dockerfile");
  for (const char* needle :
       {"FROM debian:12 AS build", "FROM debian:12-slim", "USER 10001:10001", "HEALTHCHECK",
        "EXPOSE 8787", "libhiredis0.14",
        // what the build reads (the dashboard is embedded by cmake/) and
        // the allocator a release build links
        "COPY cmake ./cmake", "COPY src ./src", "libjemalloc-dev", "libjemalloc2"}) {
    EXPECT_NE(dockerfile.find(needle), std::string::npos) << needle;
  }
}

}  // namespace
}  // namespace aigw::testing
