"""Packs the top-level resources/ and rules/ folders into the wheel as watchkeeper/resources
and watchkeeper/rules, beside the code found under app/."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages("app"), "watchkeeper.resources", "watchkeeper.rules"],
    package_dir={"": "app", "watchkeeper.resources": "resources", "watchkeeper.rules": "rules"},
    package_data={"watchkeeper.resources": ["**/*"], "watchkeeper.rules": ["**/*"]},
    include_package_data=False,
)
