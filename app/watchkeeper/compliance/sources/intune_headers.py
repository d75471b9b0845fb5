"""The headers of Microsoft Intune's device exports, per column and language.

Intune names one column differently on each export screen: the All devices list, the
device compliance reports, and the Graph export API ("Export" reports and PowerShell's
`Export-Csv` of managedDevices, whose headers are property names like `deviceName`).
The portal translates headers into the admin's language. Headers are compared without
case, spaces or punctuation, so "Last check-in" also matches "LastCheckIn" and
"last_check_in". A header found in one language only tells the export's language.
"""

from __future__ import annotations

INTUNE_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "name": {
        "en": ("Device name", "DeviceName", "Managed device name"),
        "de": ("Gerätename", "Name des Geräts"),
        "fr": ("Nom de l'appareil", "Nom d'appareil", "Nom du périphérique"),
    },
    "serial": {
        "en": ("Serial number", "SerialNumber"),
        "de": ("Seriennummer",),
        "fr": ("Numéro de série",),
    },
    "os": {
        "en": ("OS", "Operating system", "OperatingSystem", "Platform"),
        "de": ("Betriebssystem", "Plattform"),
        "fr": ("Système d'exploitation", "Plateforme"),
    },
    "os_version": {
        "en": ("OS version", "OSVersion", "Operating system version"),
        "de": ("Betriebssystemversion", "Betriebssystem-Version", "BS-Version"),
        "fr": ("Version du système d'exploitation", "Version du SE", "Version de l'OS"),
    },
    "owner_upn": {
        "en": (
            "Primary user UPN",
            "User principal name",
            "UserPrincipalName",
            "UPN",
            "Primary user principal name",
        ),
        "de": (
            "UPN des primären Benutzers",
            "Benutzerprinzipalname",
            "Prinzipalname des primären Benutzers",
        ),
        "fr": (
            "UPN de l'utilisateur principal",
            "Nom d'utilisateur principal",
            "Nom principal de l'utilisateur",
        ),
    },
    "owner_email": {
        "en": ("Primary user email address", "EmailAddress", "User email", "UserEmail"),
        "de": ("E-Mail-Adresse des primären Benutzers", "E-Mail-Adresse"),
        "fr": ("Adresse e-mail de l'utilisateur principal", "Adresse e-mail"),
    },
    "last_checkin": {
        "en": (
            "Last check-in",
            "Last sync date time",
            "LastSyncDateTime",
            "Last sync",
            "LastContact",
            "Last check in time",
        ),
        "de": (
            "Letzter Check-In",
            "Letztes Einchecken",
            "Letzte Synchronisierung",
            "Datum/Uhrzeit der letzten Synchronisierung",
        ),
        "fr": (
            "Dernier archivage",
            "Dernière synchronisation",
            "Dernier enregistrement",
            "Date/heure de la dernière synchronisation",
        ),
    },
    "encrypted": {
        "en": ("Encrypted", "Encryption", "IsEncrypted"),
        "de": ("Verschlüsselt", "Verschlüsselung", "Verschlüsselungsstatus"),
        "fr": ("Chiffré", "Chiffrement", "État du chiffrement"),
    },
    "jailbroken": {
        "en": ("Jailbroken", "Rooted", "JailBroken", "Jailbroken/Rooted"),
        "de": ("Mit Jailbreak", "Jailbreak", "Gerootet", "Jailbreak/Rooting"),
        "fr": ("Jailbreaké", "Rooté", "Jailbreaké/rooté", "Débridé"),
    },
    "compliance": {
        "en": ("Compliance", "Compliance state", "ComplianceState", "Compliance status"),
        "de": ("Konformität", "Konformitätsstatus", "Kompatibilität", "Compliancestatus"),
        "fr": ("Conformité", "État de conformité", "Statut de conformité"),
    },
    "device_id": {
        "en": ("Device ID", "DeviceId", "Intune device ID", "ManagedDeviceId"),
        "de": ("Geräte-ID", "Intune-Geräte-ID"),
        "fr": ("ID d'appareil", "ID de l'appareil", "ID d'appareil Intune"),
    },
    "aad_device_id": {
        "en": (
            "Azure AD Device ID",
            "AzureADDeviceId",
            "Microsoft Entra Device ID",
            "Entra Device ID",
            "Microsoft Entra ID Device ID",
            "AAD Device ID",
        ),
        "de": ("Azure AD-Geräte-ID", "Microsoft Entra-Geräte-ID", "Entra-Geräte-ID"),
        "fr": (
            "ID d'appareil Azure AD",
            "ID de l'appareil Azure AD",
            "ID d'appareil Microsoft Entra",
        ),
    },
    "managed_by": {
        "en": ("Managed by", "ManagementAgent", "Management agent"),
        "de": ("Verwaltet von", "Verwaltungs-Agent"),
        "fr": ("Géré par", "Agent de gestion"),
    },
    "model": {
        "en": ("Model",),
        "de": ("Modell",),
        "fr": ("Modèle",),
    },
    "manufacturer": {
        "en": ("Manufacturer",),
        "de": ("Hersteller",),
        "fr": ("Fabricant",),
    },
    "imei": {
        "en": ("IMEI",),
    },
    "meid": {
        "en": ("MEID",),
    },
    "wifi_mac": {
        "en": ("Wi-Fi MAC", "WiFiMacAddress", "Wi-Fi MAC address"),
        "de": ("WLAN-MAC", "WLAN-MAC-Adresse"),
        "fr": ("Adresse MAC Wi-Fi", "MAC Wi-Fi"),
    },
    "ethernet_mac": {
        "en": ("Ethernet MAC", "EthernetMAC", "EthernetMacAddress"),
        "de": ("Ethernet-MAC", "Ethernet-MAC-Adresse"),
        "fr": ("Adresse MAC Ethernet", "MAC Ethernet"),
    },
}

# What Intune writes in its yes/no columns, beyond the usual words; "Unknown" stays unknown.
INTUNE_YES = frozenset(
    {"true", "yes", "ja", "wahr", "oui", "vrai", "encrypted", "verschlüsselt", "chiffré"}
)
INTUNE_NO = frozenset(
    {
        "false",
        "no",
        "nein",
        "falsch",
        "non",
        "faux",
        "not encrypted",
        "nicht verschlüsselt",
        "non chiffré",
    }
)

# The MDM's own verdict, as it is kept: one English word per state.
INTUNE_COMPLIANCE = {
    "compliant": "compliant",
    "konform": "compliant",
    "kompatibel": "compliant",
    "conforme": "compliant",
    "noncompliant": "noncompliant",
    "not compliant": "noncompliant",
    "nicht konform": "noncompliant",
    "nicht kompatibel": "noncompliant",
    "non conforme": "noncompliant",
    "non-conforme": "noncompliant",
    "in grace period": "in grace period",
    "ingraceperiod": "in grace period",
    "in toleranzperiode": "in grace period",
    "in der toleranzperiode": "in grace period",
    "en période de grâce": "in grace period",
    "not evaluated": "not evaluated",
    "notevaluated": "not evaluated",
    "nicht ausgewertet": "not evaluated",
    "non évalué": "not evaluated",
    "conflict": "conflict",
    "konflikt": "conflict",
    "error": "error",
    "fehler": "error",
    "erreur": "error",
    "configmanager": "managed by Configuration Manager",
}
