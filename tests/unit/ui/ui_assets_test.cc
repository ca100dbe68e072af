// The dashboard's embedded files: present, typed, loading nothing from elsewhere (no CDN),
// and served with a policy that lets only the gateway's own script run.
#include "ui/ui_assets.h"

#include <gtest/gtest.h>

#include <string>

namespace aigw::ui {
namespace {

std::string header(std::string_view name) {
  for (const auto& [n, v] : security_headers())
    if (n == name) return v;
  return "";
}

TEST(UiAssetsTest, ThePageAndItsScriptAndStyleAreEmbedded) {
  const Asset* page = find_asset("");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page, find_asset("index.html"));
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<script src=\"/ui/app.js\""), std::string_view::npos);
  ASSERT_NE(find_asset("app.js"), nullptr);
  EXPECT_EQ(find_asset("app.js")->content_type, "text/javascript; charset=utf-8");
  ASSERT_NE(find_asset("app.css"), nullptr);
  EXPECT_EQ(find_asset("../index.html"), nullptr);
  EXPECT_EQ(find_asset("missing.js"), nullptr);
}

TEST(UiAssetsTest, NothingIsLoadedFromElsewhere) {
  for (const auto& asset : assets()) {
    for (std::string_view ref : {"src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import",
                                 "url(http", "fetch('http", "fetch(\"http"}) {
      EXPECT_EQ(asset.body.find(ref), std::string_view::npos) << asset.name << " has " << ref;
    }
    EXPECT_EQ(asset.body.find("innerHTML"), std::string_view::npos)
        << asset.name << ": values become text nodes, never markup";
  }
}

TEST(UiAssetsTest, OnlyTheGatewaysOwnScriptMayRun) {
  const std::string csp = header("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header("X-Frame-Options"), "DENY");
}

}  // namespace
}  // namespace aigw::ui
