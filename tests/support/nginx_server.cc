#include "support/nginx_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

extern char** environ;

namespace aigw::testing {

NginxServer::NginxServer(const std::vector<std::uint16_t>& upstream_ports)
    : port_(free_local_port()) {
  const std::string d = dir_.path();
  ::chmod(d.c_str(), 0755);  // workers started by root run as nobody
  std::string upstreams;
  for (auto p : upstream_ports) upstreams += "    server 127.0.0.1:" + std::to_string(p) + ";\n";
  write_file(
      d + "/nginx.conf",
      "daemon off;\nmaster_process on;\nworker_processes 1;\npid " + d + "/nginx.pid;\nerror_log " +
          d +
          "/error.log warn;\nevents {}\nhttp {\n"
          "  access_log off;\n  client_body_temp_path " +
          d + "/body;\n  proxy_temp_path " + d + "/proxy;\n  fastcgi_temp_path " + d +
          "/fcgi;\n  uwsgi_temp_path " + d + "/uwsgi;\n  scgi_temp_path " + d +
          "/scgi;\n  upstream aigw {\n" + upstreams +
          "    keepalive 16;\n  }\n  server {\n    listen 127.0.0.1:" + std::to_string(port_) +
          ";\n    location / {\n      proxy_pass http://aigw;\n"
          "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n"
          "      proxy_set_header Host $host:$server_port;\n"
          "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
          "      proxy_buffering off;\n    }\n  }\n}\n");
  std::vector<std::string> args = {"nginx",          "-p", d, "-e", d + "/error.log", "-c",
                                   d + "/nginx.conf"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Debian puts nginx in /usr/sbin, which a non-root PATH may lack.
  if (posix_spawn(&pid_, "/usr/sbin/nginx", nullptr, nullptr, argv.data(), environ) != 0)
    throw std::runtime_error("nginx could not be started (is nginx-light installed?)");
  for (int i = 0; i < 300; ++i) {
    if (accepts_connections(port_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("nginx did not listen on port " + std::to_string(port_));
}

NginxServer::~NginxServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);  // fast shutdown: the master stops its workers too
  ::waitpid(pid_, nullptr, 0);
}

}  // namespace aigw::testing
