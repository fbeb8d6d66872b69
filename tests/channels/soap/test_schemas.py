"""Our WSDL and XSDs of the SOAP service PresenceRegistration v1, checked against the binding facts of the contract.

Offline only: lxml parses with no_network and resolves the relative schemaLocations from the folder; zeep loads
the WSDL from the file system through a transport that refuses any remote URL.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import presence
from presence.domain.cancellation import CancellationReason
from presence.domain.channels import Channel
from presence.domain.remarks import SOAP_REMARKS
from presence.domain.sectors import Sector
from presence.domain.statuses import SoapStatus
from presence.services.registrations.consulting import SortKey

etree = pytest.importorskip("lxml.etree", reason="lxml comes with zeep, a test dependency")

WSDL_DIR = Path(presence.__file__).parent / "channels" / "soap" / "wsdl"
WSDL = WSDL_DIR / "PresenceRegistration_v1.wsdl"
PROTOCOL_XSD = WSDL_DIR / "PresenceRegistrationProtocol_v1.xsd"
TYPES_XSD = WSDL_DIR / "PresenceRegistrationTypes_v1.xsd"
ERRORS_XSD = WSDL_DIR / "ErrorTypes_v1.xsd"
XML_XSD = WSDL_DIR / "xml.xsd"

PROTO = "http://socialsecurity.be/presenceregistration/v1"
TYPES = "http://socialsecurity.be/presenceregistration/schemas/v1"
ERR = "http://socialsecurity.be/errors/v1"
XS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
NS = {"xs": XS, "wsdl": WSDL_NS, "soap": SOAP_NS, "p": PROTO, "t": TYPES, "err": ERR}

OPERATIONS = {
    "registerPresences": ("RegisterPresencesRequest", "RegisterPresencesResponse"),
    "cancelPresences": ("CancelPresencesRequest", "CancelPresencesResponse"),
    "searchPresences": ("SearchPresencesRequest", "SearchPresencesResponse"),
    "getPresenceRegistration": ("GetPresenceRegistrationRequest", "GetPresenceRegistrationResponse"),
}

# The 17 remarks exactly as published (typos and double spaces included).
REMARKS = [
    "RELATED DIMONA NOT OK",
    "GIVEN INSS IS NOT THE FOUNDER OF THE COMPANY",
    "EMPLOYER IS NOT KNOWN AS COMPANY FOUNDER",
    "THE COMPANY DOESN'T EXISTS",
    "INDEPENDANT IS NOT KNOWN AS COMPANY FOUNDER",
    "LIMOSA ID IS NOT KNOWN",
    "LIMOSA ID IS NOT ACTIVE AT DATE",
    "NISS-BIS IS NOT KNOWN IN LIMOSA",
    "NISS-BIS IS NOT ACTIVE AT THIS DATE IN LIMOSA",
    "DUC IS NOT EXISTING",
    "DUC IS NOT ACTIVE AT THIS DATE",
    "COMPANY IS NOT KNOWN  AS BUILDER OR  SUBCONTRACTOR IN THIS DUC",
    "SITE IS NOT SUBJECT TO PRESENCE REGISTRATION",
    "SAME DECLARATION HAS ALREADY BEEN REGISTERED",
    "NISS IS NOT KNOW IN THE NATIONAL REGISTER",
    "EMPLOYER NOT ACTIVE",
    "THE COMPANY ID ASSOCIATED AT A NOT ACTIVE CONTRACT",
]
STATUSES = ["SUCCESSFULLY REGISTERED", "VALIDATED", "FAILED", "SUCCESSFULLY CANCELLED"]
SORT_CRITERIA = ["ID", "REGISTRATION DATE", "CREATION DATE", "STATUS", "PLACE OF WORK", "COMPANY ID", "CHANNEL",
                 "SENDER ID"]


def _parser():
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)


def _schema(path: Path):
    return etree.XMLSchema(etree.parse(str(path), _parser()))


@pytest.fixture(scope="module")
def protocol():
    """Requests and responses: the protocol schema, which imports the types schema."""
    return _schema(PROTOCOL_XSD)


@pytest.fixture(scope="module")
def errors():
    return _schema(ERRORS_XSD)


@pytest.fixture(scope="module")
def everything():
    """Protocol, types and errors in one schema, as the WSDL's types section sees them."""
    wrapper = f"""<xs:schema xmlns:xs="{XS}">
      <xs:import namespace="{PROTO}" schemaLocation="{PROTOCOL_XSD.name}"/>
      <xs:import namespace="{ERR}" schemaLocation="{ERRORS_XSD.name}"/>
    </xs:schema>"""
    doc = etree.fromstring(wrapper.encode(), _parser(), base_url=str(WSDL_DIR / "_wrapper.xsd"))
    return etree.XMLSchema(doc)


def _doc(xml: str):
    return etree.fromstring(xml.encode(), _parser())


def _assert_valid(schema, xml: str):
    doc = _doc(xml)
    if not schema.validate(doc):
        raise AssertionError(str(schema.error_log))


def _assert_invalid(schema, xml: str):
    assert not schema.validate(_doc(xml)), "expected a validation error"


def _enumeration(simple_type: str, path: Path = TYPES_XSD) -> list[str]:
    tree = etree.parse(str(path), _parser())
    return tree.xpath(f"//xs:simpleType[@name='{simple_type}']//xs:enumeration/@value", namespaces=NS)


# --- sample documents ----------------------------------------------------------------------------------------

ROOT = f'xmlns:p="{PROTO}" xmlns:t="{TYPES}"'

INSS_ITEM = """
  <p:PresenceRegistrationRequest>
    <t:RegistrationDate>2013-12-01</t:RegistrationDate>
    <t:INSS>78012340961</t:INSS>
    <t:CompanyID>448181966</t:CompanyID>
    <t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>
  </p:PresenceRegistrationRequest>"""

LIMOSA_ITEM = """
  <p:PresenceRegistrationRequest>
    <t:RegistrationDate>2013-12-01</t:RegistrationDate>
    <t:LimosaId>24910158641968060</t:LimosaId>
    <t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>
    <t:ClientPresenceRegistrationReference>Ref 1</t:ClientPresenceRegistrationReference>
  </p:PresenceRegistrationRequest>"""


def register_request(*items: str) -> str:
    return f"<p:RegisterPresencesRequest {ROOT}>{''.join(items)}</p:RegisterPresencesRequest>"


def item(*children: str) -> str:
    return f"<p:PresenceRegistrationRequest>{''.join(children)}</p:PresenceRegistrationRequest>"


def search_content(criteria: str = "", extra: str = "") -> str:
    """The content of a SearchPresencesRequestType: the criteria (before the mandatory period list), then
    pagination and sorting (`extra`)."""
    return f"""
        <t:SearchPresenceRegistrationCriteria>
          {criteria}
          <t:RegistrationPeriodList>
            <t:RegistrationPeriod>
              <t:RegistrationPeriodStartDate>2013-12-01</t:RegistrationPeriodStartDate>
              <t:RegistrationPeriodEndDate>2013-12-31</t:RegistrationPeriodEndDate>
            </t:RegistrationPeriod>
          </t:RegistrationPeriodList>
        </t:SearchPresenceRegistrationCriteria>
        {extra}"""


def search_request(criteria: str = "", extra: str = "") -> str:
    return f"""<p:SearchPresencesRequest {ROOT}>
      <p:SearchPresenceRequest>{search_content(criteria, extra)}</p:SearchPresenceRequest>
    </p:SearchPresencesRequest>"""


SUBMITTED = """
  <t:PresenceRegistrationSubmitted>
    <t:RegistrationDate>2013-12-01</t:RegistrationDate>
    <t:INSS>78012340961</t:INSS>
    <t:CompanyID>448181966</t:CompanyID>
    <t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>
  </t:PresenceRegistrationSubmitted>"""

CONSULT_SUBMITTED = """
  <t:PresenceRegistrationConsultSubmitted>
    <t:RegistrationDate>2013-12-01</t:RegistrationDate>
    <t:INSS>78012340961</t:INSS>
    <t:CompanyID>448181966</t:CompanyID>
    <t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>
    <t:ClientPresenceRegistrationReference>Ref 1</t:ClientPresenceRegistrationReference>
  </t:PresenceRegistrationConsultSubmitted>"""

SENDER = """
  <t:Sender>
    <t:SenderId>self_service_expeditor_1</t:SenderId>
    <t:SenderCompanyId>448181966</t:SenderCompanyId>
    <t:SenderUserType>EMPLOYER</t:SenderUserType>
  </t:Sender>"""


def registration(submitted: str = SUBMITTED, validation: str = "", history: str = "") -> str:
    validation = validation or "<t:LastValidation><t:Status>SUCCESSFULLY REGISTERED</t:Status></t:LastValidation>"
    return f"""
      {submitted}
      <t:Sector>1</t:Sector>
      <t:INSS>78012340961</t:INSS>
      <t:PresenceRegistrationId>201312010000001</t:PresenceRegistrationId>
      <t:CreationDate>2013-12-01T16:00:00.769</t:CreationDate>
      <t:Channel>WS</t:Channel>
      {validation}
      {history}
      {SENDER}"""


FAILED_VALIDATION = """
  <t:LastValidation>
    <t:Status>FAILED</t:Status>
    <t:ValidationDate>2013-12-01T16:00:05.123</t:ValidationDate>
    <t:RemarkList>
      <t:Remark>RELATED DIMONA NOT OK</t:Remark>
      <t:Remark>COMPANY IS NOT KNOWN  AS BUILDER OR  SUBCONTRACTOR IN THIS DUC</t:Remark>
    </t:RemarkList>
  </t:LastValidation>"""

HISTORY = """
  <t:ValidationHistory>
    <t:Validation><t:Status>SUCCESSFULLY REGISTERED</t:Status></t:Validation>
    <t:Validation>
      <t:Status>FAILED</t:Status>
      <t:ValidationDate>2013-12-01T16:00:05.123</t:ValidationDate>
      <t:RemarkList><t:Remark>RELATED DIMONA NOT OK</t:Remark></t:RemarkList>
    </t:Validation>
  </t:ValidationHistory>"""

ERROR_LIST = """
  <t:ErrorList>
    <t:Error><t:ErrorCode>6</t:ErrorCode><t:ErrorDescription>Registration date not today or tomorrow</t:ErrorDescription></t:Error>
  </t:ErrorList>"""  # noqa: E501

REGISTER_RESPONSE = f"""<p:RegisterPresencesResponse {ROOT}>
  <p:PresenceRegistrationResponse>
    <t:PresenceRegistration>{registration()}</t:PresenceRegistration>
  </p:PresenceRegistrationResponse>
  <p:PresenceRegistrationResponse>
    <t:PresenceRegistrationError>{SUBMITTED}{ERROR_LIST}</t:PresenceRegistrationError>
  </p:PresenceRegistrationResponse>
</p:RegisterPresencesResponse>"""

SYSTEM_ERROR = f"""<err:SystemError xmlns:err="{ERR}" Id="b6a2f0c4-2f1e-4a8e-9a57-4c1c0b1d2e3f">
  <err:Origin>PresenceRegistration</err:Origin>
  <err:Code>SOA-02002</err:Code>
  <err:Message xml:lang="en">The service is temporarily unavailable, please retry.</err:Message>
  <err:Message xml:lang="fr">Le service est temporairement indisponible, veuillez réessayer.</err:Message>
  <err:Retry>true</err:Retry>
  <err:Contact>servicedesk@example.org</err:Contact>
  <err:Environment>Simulation</err:Environment>
</err:SystemError>"""


# --- the files ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [XML_XSD, ERRORS_XSD, TYPES_XSD, PROTOCOL_XSD], ids=lambda p: p.name)
def test_each_schema_compiles(path):
    _schema(path)


def test_the_combined_schema_compiles(everything):
    assert everything is not None


@pytest.mark.parametrize(("path", "expected"), [
    (WSDL, ["PresenceRegistrationProtocol_v1.xsd", "ErrorTypes_v1.xsd"]),
    (PROTOCOL_XSD, ["PresenceRegistrationTypes_v1.xsd"]),
    (TYPES_XSD, []),
    (ERRORS_XSD, ["xml.xsd"]),
    (XML_XSD, []),
], ids=lambda v: v.name if isinstance(v, Path) else None)
def test_every_schema_location_is_a_local_file_beside_it(path, expected):
    tree = etree.parse(str(path), _parser())
    locations = tree.xpath("//xs:import/@schemaLocation | //xs:include/@schemaLocation | //xs:redefine/@schemaLocation",
                           namespaces=NS)
    assert locations == expected
    assert not tree.xpath("//xs:import[not(@schemaLocation)]", namespaces=NS)  # nothing left to fetch
    for location in locations:
        assert "/" not in location and ":" not in location, location
        assert (WSDL_DIR / location).is_file(), location


def test_schema_namespaces_and_forms():
    for path, namespace in [(PROTOCOL_XSD, PROTO), (TYPES_XSD, TYPES), (ERRORS_XSD, ERR)]:
        root = etree.parse(str(path), _parser()).getroot()
        assert root.get("targetNamespace") == namespace
        assert root.get("elementFormDefault") == "qualified"


def test_wsdl_names_bindings_and_actions():
    root = etree.parse(str(WSDL), _parser()).getroot()
    assert root.get("name") == "PresenceRegistration"
    assert root.get("targetNamespace") == PROTO

    port_type = root.find("wsdl:portType", NS)
    assert port_type.get("name") == "PresenceRegistrationPortType"
    assert [op.get("name") for op in port_type.findall("wsdl:operation", NS)] == list(OPERATIONS)
    for op in port_type.findall("wsdl:operation", NS):
        assert sorted(f.get("name") for f in op.findall("wsdl:fault", NS)) == ["BusinessError", "SystemError"]

    messages = {m.get("name"): m.find("wsdl:part", NS).get("element") for m in root.findall("wsdl:message", NS)}
    for request, response in OPERATIONS.values():
        assert f"tns:{request}" in messages.values()
        assert f"tns:{response}" in messages.values()
    assert "err:SystemError" in messages.values() and "err:BusinessError" in messages.values()

    binding = root.find("wsdl:binding", NS)
    assert binding.get("name") == "PresenceRegistrationSOAPBinding"
    assert binding.get("type") == "tns:PresenceRegistrationPortType"
    soap_binding = binding.find("soap:binding", NS)
    assert soap_binding.get("style") == "document"
    assert soap_binding.get("transport") == "http://schemas.xmlsoap.org/soap/http"
    for op in binding.findall("wsdl:operation", NS):
        name = op.get("name")
        assert op.find("soap:operation", NS).get("soapAction") == f"http://socialsecurity.be/presenceregistration/v1/{name}"
        assert op.find("wsdl:input/soap:body", NS).get("use") == "literal"
        assert op.find("wsdl:output/soap:body", NS).get("use") == "literal"
        assert len(op.findall("wsdl:fault/soap:fault[@use='literal']", NS)) == 2

    service = root.find("wsdl:service", NS)
    assert service.get("name") == "PresenceRegistrationService"
    port = service.find("wsdl:port", NS)
    assert port.get("name") == "PresenceRegistrationSOAP11"
    assert port.get("binding") == "tns:PresenceRegistrationSOAPBinding"
    assert port.find("soap:address", NS).get("location") == "http://localhost:8000/PresenceRegistration/v1"


# --- enumerations agree with the contract and with the domain ------------------------------------------------

def test_remark_enumeration_is_the_published_one():
    assert _enumeration("RemarkType") == REMARKS
    assert set(REMARKS) == set(SOAP_REMARKS)


def test_other_enumerations():
    assert _enumeration("StatusType") == STATUSES == [str(s) for s in SoapStatus]
    assert _enumeration("SortCriteriaType") == SORT_CRITERIA == [str(k) for k in SortKey]
    assert _enumeration("SortDirectionType") == ["ASCENDING", "DESCENDING"]
    assert _enumeration("SectorType") == ["1", "2", "3"]
    assert {int(s) for s in _enumeration("SectorType")} == {int(s) for s in Sector if s is not Sector.CLEANING}
    assert _enumeration("EnvironmentType", ERRORS_XSD) == ["Simulation", "Production"]
    assert Channel.WEB_SERVICE == "WS"
    assert max(len(r) for r in CancellationReason) <= 15


# --- registerPresences ---------------------------------------------------------------------------------------

def test_the_official_example_is_a_valid_request(protocol, everything):
    _assert_valid(protocol, register_request(INSS_ITEM, LIMOSA_ITEM))
    _assert_valid(everything, register_request(INSS_ITEM, LIMOSA_ITEM))


def test_200_items_are_valid_201_are_not(protocol):
    _assert_valid(protocol, register_request(*[INSS_ITEM] * 200))
    _assert_invalid(protocol, register_request(*[INSS_ITEM] * 201))


def test_an_empty_request_is_invalid(protocol):
    _assert_invalid(protocol, register_request())


def test_the_registration_date_is_optional(protocol):
    _assert_valid(protocol, register_request(item("<t:LimosaId>24910158641968060</t:LimosaId>",
                                                  "<t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>")))


@pytest.mark.parametrize("children", [
    pytest.param(["<t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>", "<t:INSS>78012340961</t:INSS>",
                  "<t:CompanyID>448181966</t:CompanyID>"], id="workplace first"),
    pytest.param(["<t:CompanyID>448181966</t:CompanyID>", "<t:INSS>78012340961</t:INSS>",
                  "<t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>"], id="company before INSS"),
    pytest.param(["<t:INSS>78012340961</t:INSS>", "<t:CompanyID>448181966</t:CompanyID>",
                  "<t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>",
                  "<t:RegistrationDate>2013-12-01</t:RegistrationDate>"], id="date last"),
    pytest.param(["<t:LimosaId>24910158641968060</t:LimosaId>"], id="no workplace"),
    pytest.param(["<t:INSS>7801234096</t:INSS>", "<t:CompanyID>448181966</t:CompanyID>",
                  "<t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>"], id="INSS of 10 digits"),
    pytest.param(["<t:INSS>78012340961</t:INSS>", "<t:CompanyID>10448181966</t:CompanyID>",
                  "<t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>"], id="company of 11 digits"),
    pytest.param(["<t:INSS>78012340961</t:INSS>", "<t:CompanyID>BE0448181966</t:CompanyID>",
                  "<t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>"], id="company not a number"),
    pytest.param(["<t:LimosaId>24910158641968060</t:LimosaId>", "<t:WorkPlaceId>1Y1000003EQCZX</t:WorkPlaceId>"],
                 id="workplace of 14"),
    pytest.param(["<t:LimosaId>24910158641968060</t:LimosaId>", "<t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>",
                  f"<t:ClientPresenceRegistrationReference>{'x' * 25}</t:ClientPresenceRegistrationReference>"],
                 id="reference of 25"),
])
def test_malformed_items_are_invalid(protocol, children):
    _assert_invalid(protocol, register_request(item(*children)))


def test_wrong_namespaces_are_invalid(protocol):
    official = register_request(INSS_ITEM, LIMOSA_ITEM)
    # Items in the types namespace instead of the protocol one.
    _assert_invalid(protocol, official.replace("p:PresenceRegistrationRequest", "t:PresenceRegistrationRequest"))
    # Item content in the protocol namespace instead of the types one.
    _assert_invalid(protocol, official.replace("t:INSS", "p:INSS"))
    # Everything unqualified (in no namespace).
    _assert_invalid(protocol, f"""<p:RegisterPresencesRequest xmlns:p="{PROTO}">
      <PresenceRegistrationRequest><LimosaId>24910158641968060</LimosaId><WorkPlaceId>1Y1000003EQCZ</WorkPlaceId>
      </PresenceRegistrationRequest></p:RegisterPresencesRequest>""")
    # Another version of the service.
    _assert_invalid(protocol, official.replace(PROTO, "http://socialsecurity.be/presenceregistration/v2"))


def test_a_full_register_response_is_valid(protocol):
    _assert_valid(protocol, REGISTER_RESPONSE)


def test_a_registration_with_remarks_history_and_consult_data_is_valid(protocol):
    response = REGISTER_RESPONSE.replace(registration(), registration(CONSULT_SUBMITTED, FAILED_VALIDATION, HISTORY))
    _assert_valid(protocol, response)


def test_eleven_remarks_on_one_validation_are_invalid(protocol):
    remarks = "".join(f"<t:Remark>{r}</t:Remark>" for r in REMARKS[:11])
    validation = (f"<t:LastValidation><t:Status>FAILED</t:Status><t:RemarkList>{remarks}</t:RemarkList>"
                  "</t:LastValidation>")
    _assert_invalid(protocol, REGISTER_RESPONSE.replace(registration(), registration(validation=validation)))


def test_a_register_response_rejects_an_unknown_status_and_sector(protocol):
    _assert_invalid(protocol, REGISTER_RESPONSE.replace("SUCCESSFULLY REGISTERED", "SUCCESSFULLY  REGISTERED"))
    _assert_invalid(protocol, REGISTER_RESPONSE.replace("<t:Sector>1</t:Sector>", "<t:Sector>4</t:Sector>"))


def test_a_registration_id_has_at_most_15_digits(protocol):
    _assert_invalid(protocol, REGISTER_RESPONSE.replace("201312010000001", "2013120100000001"))


# --- cancelPresences -----------------------------------------------------------------------------------------

def test_cancel_request_and_response(protocol):
    cancel = "<t:PresenceRegistrationId>201312010000001</t:PresenceRegistrationId>" \
             "<t:CancellationReason>HOLIDAY</t:CancellationReason>"
    _assert_valid(protocol, f"""<p:CancelPresencesRequest {ROOT}>
      <p:CancelPresenceRequest>{cancel}</p:CancelPresenceRequest></p:CancelPresencesRequest>""")
    _assert_invalid(protocol, f"<p:CancelPresencesRequest {ROOT}/>")
    _assert_invalid(protocol, f"""<p:CancelPresencesRequest {ROOT}>{
        f'<p:CancelPresenceRequest>{cancel}</p:CancelPresenceRequest>' * 201}</p:CancelPresencesRequest>""")
    _assert_invalid(protocol, f"""<p:CancelPresencesRequest {ROOT}><p:CancelPresenceRequest>
      <t:PresenceRegistrationId>201312010000001</t:PresenceRegistrationId>
      <t:CancellationReason>TOO LONG A REASON</t:CancellationReason>
      </p:CancelPresenceRequest></p:CancelPresencesRequest>""")
    cancelled = registration(validation="<t:LastValidation><t:Status>SUCCESSFULLY CANCELLED</t:Status>"
                                        "<t:ValidationDate>2013-12-01T17:00:00.000</t:ValidationDate>"
                                        "</t:LastValidation>")
    _assert_valid(protocol, f"""<p:CancelPresencesResponse {ROOT}>
      <p:CancelPresenceResponse><t:PresenceRegistration>{cancelled}</t:PresenceRegistration></p:CancelPresenceResponse>
      <p:CancelPresenceResponse><t:PresenceRegistrationError>
        <t:CancelPresenceRequest>{cancel}</t:CancelPresenceRequest>{ERROR_LIST}
      </t:PresenceRegistrationError></p:CancelPresenceResponse>
    </p:CancelPresencesResponse>""")


# --- searchPresences -----------------------------------------------------------------------------------------

def test_a_minimal_search_is_valid(protocol):
    _assert_valid(protocol, search_request())


def test_a_full_search_is_valid(protocol):
    criteria = """
      <t:INSS>78012340961</t:INSS>
      <t:CompanyID>448181966</t:CompanyID>
      <t:WorkPlaceId>1Y1000003EQCZ</t:WorkPlaceId>
      <t:StatusList>""" + "".join(f"<t:Status>{s}</t:Status>" for s in STATUSES) + """</t:StatusList>
      <t:RemarkList>""" + "".join(f"<t:Remark>{r}</t:Remark>" for r in REMARKS) + "</t:RemarkList>"
    extra = """
      <t:PaginationProperties><t:FirstRow>0</t:FirstRow><t:FetchSize>50</t:FetchSize></t:PaginationProperties>
      <t:SortingProperties><t:SortDirection>DESCENDING</t:SortDirection><t:SortCriteria>PLACE OF WORK</t:SortCriteria>
      </t:SortingProperties>"""
    xml = search_request(criteria, extra).replace(
        "</t:RegistrationPeriodList>",
        "</t:RegistrationPeriodList><t:CreationStartDate>2013-12-01T00:00:00</t:CreationStartDate>"
        "<t:CreationEndDate>2013-12-31T23:59:59.999</t:CreationEndDate><t:Sector>3</t:Sector>")
    _assert_valid(protocol, xml)


@pytest.mark.parametrize("remark", REMARKS)
def test_each_published_remark_is_a_valid_search_criterion(protocol, remark):
    _assert_valid(protocol, search_request(f"<t:RemarkList><t:Remark>{remark}</t:Remark></t:RemarkList>"))


@pytest.mark.parametrize("remark", [
    "UNKNOWN REMARK",
    "COMPANY IS NOT KNOWN AS BUILDER OR SUBCONTRACTOR IN THIS DUC",  # double spaces "corrected"
    "NISS IS NOT KNOWN IN THE NATIONAL REGISTER",  # typo "corrected"
    "related dimona not ok",
    "",
])
def test_other_remarks_are_invalid_search_criteria(protocol, remark):
    _assert_invalid(protocol, search_request(f"<t:RemarkList><t:Remark>{remark}</t:Remark></t:RemarkList>"))


def test_search_limits(protocol):
    remarks = "".join(f"<t:Remark>{r}</t:Remark>" for r in [*REMARKS, REMARKS[0]])
    _assert_invalid(protocol, search_request(f"<t:RemarkList>{remarks}</t:RemarkList>"))
    statuses = "".join(f"<t:Status>{s}</t:Status>" for s in [*STATUSES, STATUSES[0]])
    _assert_invalid(protocol, search_request(f"<t:StatusList>{statuses}</t:StatusList>"))
    _assert_invalid(protocol, search_request("<t:StatusList><t:Status>CANCELLED</t:Status></t:StatusList>"))
    _assert_invalid(protocol, search_request(extra="<t:SortingProperties><t:SortCriteria>REGISTRATION_DATE"
                                                   "</t:SortCriteria></t:SortingProperties>"))
    period = ("<t:RegistrationPeriod><t:RegistrationPeriodStartDate>2013-12-01</t:RegistrationPeriodStartDate>"
              "<t:RegistrationPeriodEndDate>2013-12-01</t:RegistrationPeriodEndDate></t:RegistrationPeriod>")
    base = search_request()
    start, end = base.index("<t:RegistrationPeriodList>"), base.index("</t:RegistrationPeriodList>")
    head, tail = base[:start], base[end + len("</t:RegistrationPeriodList>"):]
    _assert_valid(protocol, f"{head}<t:RegistrationPeriodList>{period * 31}</t:RegistrationPeriodList>{tail}")
    _assert_invalid(protocol, f"{head}<t:RegistrationPeriodList>{period * 32}</t:RegistrationPeriodList>{tail}")
    _assert_invalid(protocol, f"{head}{tail}")  # the period list is mandatory


def test_pagination_and_sorting_default_when_left_out(protocol):
    _assert_valid(protocol, search_request(extra="<t:PaginationProperties/><t:SortingProperties/>"))
    _assert_valid(protocol, search_request(extra="<t:PaginationProperties><t:FetchSize>500</t:FetchSize>"
                                                 "</t:PaginationProperties>"))


def _search_response(body: str) -> str:
    echo = f"<t:SearchPresencesRequest>{search_content()}</t:SearchPresencesRequest>"
    return f"""<p:SearchPresencesResponse {ROOT}>
      <p:SearchPresencesResponseType>{echo}{body}</p:SearchPresencesResponseType>
    </p:SearchPresencesResponse>"""


def test_search_responses(protocol):
    found = registration(CONSULT_SUBMITTED, FAILED_VALIDATION, HISTORY)
    _assert_valid(protocol, _search_response(f"""<t:PresenceRegistrationList>
      <t:PresenceRegistrationResultCount>2</t:PresenceRegistrationResultCount>
      <t:PresenceRegistration>{found}</t:PresenceRegistration>
      <t:PresenceRegistration>{found}</t:PresenceRegistration>
    </t:PresenceRegistrationList>"""))
    _assert_valid(protocol, _search_response("""<t:PresenceRegistrationList>
      <t:PresenceRegistrationResultCount>0</t:PresenceRegistrationResultCount></t:PresenceRegistrationList>"""))
    error = f"<t:PresenceRegistrationError>{ERROR_LIST}</t:PresenceRegistrationError>"
    _assert_valid(protocol, _search_response(error))
    too_many = f"<t:PresenceRegistration>{found}</t:PresenceRegistration>" * 501
    _assert_invalid(protocol, _search_response(f"""<t:PresenceRegistrationList>
      <t:PresenceRegistrationResultCount>501</t:PresenceRegistrationResultCount>{too_many}
    </t:PresenceRegistrationList>"""))
    _assert_invalid(protocol, _search_response(""))


# --- getPresenceRegistration ---------------------------------------------------------------------------------

def test_get_request_and_responses(protocol):
    ask = "<t:PresenceRegistrationId>201312010000001</t:PresenceRegistrationId>"
    _assert_valid(protocol, f"""<p:GetPresenceRegistrationRequest {ROOT}>
      <p:GetPresenceRegistrationRequest>{ask}</p:GetPresenceRegistrationRequest>
    </p:GetPresenceRegistrationRequest>""")
    found = registration(CONSULT_SUBMITTED, FAILED_VALIDATION, HISTORY)
    for content in (f"<t:PresenceRegistrationType>{found}</t:PresenceRegistrationType>", ""):
        _assert_valid(protocol, f"""<p:GetPresenceRegistrationResponse {ROOT}>
          <p:GetPresenceRegistrationResponseType>
            <t:GetPresenceRegistrationRequest>{ask}</t:GetPresenceRegistrationRequest>
            <t:GetPresenceRegistrationType>{content}</t:GetPresenceRegistrationType>
          </p:GetPresenceRegistrationResponseType>
        </p:GetPresenceRegistrationResponse>""")
    _assert_invalid(protocol, f"""<p:GetPresenceRegistrationResponse {ROOT}>
      <p:GetPresenceRegistrationResponseType>
        <t:GetPresenceRegistrationRequest>{ask}</t:GetPresenceRegistrationRequest>
      </p:GetPresenceRegistrationResponseType>
    </p:GetPresenceRegistrationResponse>""")


# --- faults --------------------------------------------------------------------------------------------------

def test_a_system_error_is_valid(errors, everything):
    _assert_valid(errors, SYSTEM_ERROR)
    _assert_valid(everything, SYSTEM_ERROR)
    _assert_valid(errors, SYSTEM_ERROR.replace("err:SystemError", "err:BusinessError"))
    minimal = f"""<err:BusinessError xmlns:err="{ERR}" Id="1"><err:Origin>PresenceRegistration</err:Origin>
      <err:Code>SOA-03006</err:Code><err:Message xml:lang="en">XSD failure</err:Message></err:BusinessError>"""
    _assert_valid(errors, minimal)


@pytest.mark.parametrize("change", [
    ('Id="b6a2f0c4-2f1e-4a8e-9a57-4c1c0b1d2e3f"', ""),
    ('xml:lang="en"', ""),
    ("<err:Environment>Simulation</err:Environment>", "<err:Environment>Test</err:Environment>"),
    ("<err:Retry>true</err:Retry>", "<err:Retry>yes</err:Retry>"),
    ("<err:Origin>PresenceRegistration</err:Origin>", ""),
], ids=["no Id", "no language", "unknown environment", "retry not boolean", "no origin"])
def test_malformed_faults_are_invalid(errors, change):
    _assert_invalid(errors, SYSTEM_ERROR.replace(*change))


def test_a_fault_without_message_is_invalid(errors):
    doc = _doc(SYSTEM_ERROR)
    for message in doc.findall("err:Message", NS):
        doc.remove(message)
    assert not errors.validate(doc)


# --- zeep: a client generated from the WSDL ------------------------------------------------------------------

@pytest.fixture(scope="module")
def client():
    zeep = pytest.importorskip("zeep")
    from zeep.transports import Transport

    class OfflineTransport(Transport):
        def _load_remote_data(self, url):
            raise AssertionError(f"zeep tried to fetch {url}")

    return zeep.Client(wsdl=str(WSDL), transport=OfflineTransport(),
                       settings=zeep.Settings(strict=True, forbid_external=True))


def _operations(client):
    return client.service._binding._operations


def test_zeep_sees_the_service_port_and_operations(client):
    service = client.wsdl.services["PresenceRegistrationService"]
    port = service.ports["PresenceRegistrationSOAP11"]
    assert port.binding.name.text == f"{{{PROTO}}}PresenceRegistrationSOAPBinding"
    assert port.binding_options["address"] == "http://localhost:8000/PresenceRegistration/v1"
    assert port.binding.port_type.name.text == f"{{{PROTO}}}PresenceRegistrationPortType"
    assert set(_operations(client)) == set(OPERATIONS)


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_zeep_operation_messages_actions_and_faults(client, name):
    operation = _operations(client)[name]
    request, response = OPERATIONS[name]
    assert operation.soapaction == f"http://socialsecurity.be/presenceregistration/v1/{name}"
    assert operation.input.body.qname == etree.QName(PROTO, request)
    assert operation.output.body.qname == etree.QName(PROTO, response)
    assert set(operation.faults) == {"SystemError", "BusinessError"}
    for fault in ("SystemError", "BusinessError"):
        assert operation.faults[fault].abstract.parts["fault"].element.qname == etree.QName(ERR, fault)


def test_zeep_signatures(client):
    operations = _operations(client)
    assert operations["registerPresences"].input.signature() == \
        "PresenceRegistrationRequest: ns1:PresenceRegistrationSubmitType[]"
    assert operations["cancelPresences"].input.signature() == "CancelPresenceRequest: ns1:CancelPresenceRequestType[]"
    assert operations["searchPresences"].input.signature() == "SearchPresenceRequest: ns1:SearchPresencesRequestType"
    assert operations["getPresenceRegistration"].input.signature() == \
        "GetPresenceRegistrationRequest: ns1:GetPresenceRegistrationRequestType"
    assert client.get_type(f"{{{TYPES}}}PresenceRegistrationType")


def _body_content(envelope):
    return envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]


def test_zeep_serialises_the_official_example_into_a_valid_request(client, protocol):
    submit = client.get_type(f"{{{TYPES}}}PresenceRegistrationSubmitType")
    items = [
        submit(RegistrationDate=date(2013, 12, 1), INSS="78012340961", CompanyID=448181966,
               WorkPlaceId="1Y1000003EQCZ"),
        submit(RegistrationDate=date(2013, 12, 1), LimosaId="24910158641968060", WorkPlaceId="1Y1000003EQCZ",
               ClientPresenceRegistrationReference="Ref 1"),
    ]
    envelope = client.create_message(client.service, "registerPresences", PresenceRegistrationRequest=items)
    body = _body_content(envelope)
    assert body.tag == f"{{{PROTO}}}RegisterPresencesRequest"
    assert [child.tag for child in body] == [f"{{{PROTO}}}PresenceRegistrationRequest"] * 2
    assert [child.tag for child in body[0]] == [f"{{{TYPES}}}{n}" for n in
                                                ("RegistrationDate", "INSS", "CompanyID", "WorkPlaceId")]
    assert protocol.validate(body), protocol.error_log
    assert not body.xpath("//@xsi:type", namespaces={"xsi": "http://www.w3.org/2001/XMLSchema-instance"})


def test_zeep_serialises_a_search_into_a_valid_request(client, protocol):
    envelope = client.create_message(client.service, "searchPresences", SearchPresenceRequest={
        "SearchPresenceRegistrationCriteria": {
            "CompanyID": 448181966,
            "StatusList": {"Status": ["FAILED"]},
            "RemarkList": {"Remark": [REMARKS[11], REMARKS[14]]},
            "RegistrationPeriodList": {"RegistrationPeriod": [
                {"RegistrationPeriodStartDate": date(2013, 12, 1), "RegistrationPeriodEndDate": date(2013, 12, 31)},
            ]},
        },
        "PaginationProperties": {"FirstRow": 0, "FetchSize": 50},
        "SortingProperties": {"SortDirection": "DESCENDING", "SortCriteria": "CREATION DATE"},
    })
    body = _body_content(envelope)
    assert protocol.validate(body), protocol.error_log
    assert body.xpath("//t:Remark/text()", namespaces=NS) == [REMARKS[11], REMARKS[14]]


def test_zeep_serialises_cancel_and_get_into_valid_requests(client, protocol):
    cancel = client.create_message(client.service, "cancelPresences", CancelPresenceRequest=[
        {"PresenceRegistrationId": 201312010000001, "CancellationReason": "DISEASE"}])
    get = client.create_message(client.service, "getPresenceRegistration",
                                GetPresenceRegistrationRequest={"PresenceRegistrationId": 201312010000001})
    for envelope in (cancel, get):
        body = _body_content(envelope)
        assert protocol.validate(body), protocol.error_log


def _envelope(body: str):
    return _doc(f'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
                f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>")


def test_zeep_reads_our_register_response(client):
    result = _operations(client)["registerPresences"].process_reply(_envelope(REGISTER_RESPONSE))
    assert len(result) == 2
    stored = result[0].PresenceRegistration
    assert stored.PresenceRegistrationId == 201312010000001
    assert stored.CreationDate.isoformat() == "2013-12-01T16:00:00.769000"
    assert stored.LastValidation.Status == "SUCCESSFULLY REGISTERED"
    assert stored.Sender.SenderCompanyId == 448181966
    assert result[1].PresenceRegistrationError.ErrorList.Error[0].ErrorCode == "6"


def test_zeep_reads_our_get_response(client):
    found = registration(CONSULT_SUBMITTED, FAILED_VALIDATION, HISTORY)
    result = _operations(client)["getPresenceRegistration"].process_reply(_envelope(f"""
      <p:GetPresenceRegistrationResponse {ROOT}><p:GetPresenceRegistrationResponseType>
        <t:GetPresenceRegistrationRequest>
          <t:PresenceRegistrationId>201312010000001</t:PresenceRegistrationId>
        </t:GetPresenceRegistrationRequest>
        <t:GetPresenceRegistrationType><t:PresenceRegistrationType>{found}</t:PresenceRegistrationType>
        </t:GetPresenceRegistrationType>
      </p:GetPresenceRegistrationResponseType></p:GetPresenceRegistrationResponse>"""))
    registration_ = result.GetPresenceRegistrationType.PresenceRegistrationType
    assert registration_.LastValidation.RemarkList.Remark == [REMARKS[0], REMARKS[11]]
    assert [v.Status for v in registration_.ValidationHistory.Validation] == ["SUCCESSFULLY REGISTERED", "FAILED"]
    assert registration_.PresenceRegistrationConsultSubmitted.ClientPresenceRegistrationReference == "Ref 1"


def test_zeep_reads_our_system_error(client):
    error = client.get_element(f"{{{ERR}}}SystemError").parse(_doc(SYSTEM_ERROR), client.wsdl.types)
    assert error.Id == "b6a2f0c4-2f1e-4a8e-9a57-4c1c0b1d2e3f"
    assert error.Code == "SOA-02002"
    assert [m.lang for m in error.Message] == ["en", "fr"]
    assert error.Retry is True
    assert error.Environment == "Simulation"
