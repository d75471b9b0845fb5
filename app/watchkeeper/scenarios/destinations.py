"""Where the office's Windows programs connect, and the names they resolve on the way."""

from __future__ import annotations

# (address, port, reverse name) reached from each program; also what the firewall sees leave.
DESTINATIONS: dict[str, tuple[tuple[str, int, str], ...]] = {
    "chrome": (
        ("142.250.187.206", 443, "lhr25s34-in-f14.1e100.net"),
        ("172.217.169.3", 443, "lhr48s27-in-f3.1e100.net"),
        ("151.101.0.81", 443, "-"),
        ("104.18.32.47", 443, "-"),
        ("23.55.163.78", 443, "a23-55-163-78.deploy.static.akamaitechnologies.com"),
    ),
    "msedge": (
        ("13.107.21.200", 443, "-"),
        ("204.79.197.200", 443, "a-0001.a-msedge.net"),
        ("52.97.146.162", 443, "-"),
    ),
    "outlook": (("52.97.146.162", 443, "-"), ("40.99.10.34", 443, "-")),
    "teams": (("52.113.194.132", 443, "-"), ("52.112.100.2", 443, "-")),
    "onedrive": (("13.107.42.12", 443, "-"), ("20.190.159.0", 443, "-")),
    "explorer": (("10.10.1.20", 445, "files01.contoso.local"),),
    "svchost": (
        ("13.107.4.50", 80, "-"),
        ("20.42.73.29", 443, "-"),
        ("10.10.1.5", 389, "DC01.contoso.local"),
        ("10.10.1.5", 88, "DC01.contoso.local"),
        ("10.10.1.5", 445, "DC01.contoso.local"),
    ),
    "msmpeng": (("20.10.31.115", 443, "-"),),
    "googleupdate": (("142.250.180.14", 443, "lhr25s33-in-f14.1e100.net"),),
    "edgeupdate": (("13.107.246.40", 443, "-"),),
}
PEOPLE_CONNECTIONS = ("chrome", "msedge", "outlook", "teams", "onedrive", "explorer")
SYSTEM_CONNECTIONS = ("svchost", "msmpeng", "googleupdate", "edgeupdate")
INTERNET_DESTINATIONS: tuple[tuple[str, int], ...] = tuple(
    (ip, port)
    for targets in DESTINATIONS.values()
    for ip, port, _ in targets
    if not ip.startswith("10.")
)

# (program key, query name, results) as Sysmon 22 records them.
DNS_QUERIES = (
    ("chrome", "www.google.com", "::ffff:142.250.187.196;"),
    ("chrome", "fonts.gstatic.com", "type:  5 gstaticadssl.l.google.com;::ffff:172.217.169.3;"),
    ("chrome", "www.bbc.co.uk", "type:  5 www.bbc.co.uk.pri.bbc.co.uk;::ffff:151.101.0.81;"),
    (
        "chrome",
        "contoso.sharepoint.com",
        "type:  5 1234-ipv4e.clump.dprodmgd104.aa-rt.sharepoint.com;::ffff:13.107.136.10;",
    ),
    (
        "msedge",
        "www.bing.com",
        "type:  5 www-bing-com.dual-a-0001.a-msedge.net;::ffff:13.107.21.200;",
    ),
    ("msedge", "outlook.office.com", "type:  5 outlook.ha.office365.com;::ffff:52.97.146.162;"),
    ("outlook", "outlook.office365.com", "type:  5 outlook.ha.office365.com;::ffff:40.99.10.34;"),
    ("teams", "teams.microsoft.com", "type:  5 teams.office.com;::ffff:52.113.194.132;"),
    ("onedrive", "g.live.com", "type:  5 g.msn.com;::ffff:13.107.42.12;"),
    (
        "svchost",
        "settings-win.data.microsoft.com",
        "type:  5 atm-settingsfe-prod-geo2.trafficmanager.net;::ffff:20.42.73.29;",
    ),
    ("svchost", "dc01.contoso.local", "::ffff:10.10.1.5;"),
    (
        "svchost",
        "_ldap._tcp.dc._msdcs.contoso.local",
        "type:  33 dc01.contoso.local;::ffff:10.10.1.5;",
    ),
    (
        "svchost",
        "fe3cr.delivery.mp.microsoft.com",
        "type:  5 fe3cr.delivery.mp.microsoft.com.nsatc.net;::ffff:13.107.4.50;",
    ),
    (
        "msmpeng",
        "wdcp.microsoft.com",
        "type:  5 wdcp.microsoft.com.akadns.net;::ffff:20.10.31.115;",
    ),
)
