// Passkeys (WebAuthn): signing in with one, and adding one on the account page. The buttons stay hidden where
// the browser cannot use passkeys; everything else on these pages works without this script.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }
  function toText(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    bytes.forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function credentialJSON(credential) {
    const response = {};
    ["clientDataJSON", "attestationObject", "authenticatorData", "signature", "userHandle"].forEach((name) => {
      if (credential.response[name]) response[name] = toText(credential.response[name]);
    });
    if (credential.response.getTransports) response.transports = credential.response.getTransports();
    return { id: credential.id, rawId: toText(credential.rawId), type: credential.type, response: response,
             clientExtensionResults: credential.getClientExtensionResults(),
             authenticatorAttachment: credential.authenticatorAttachment };
  }
  async function post(url, body) {
    const answer = await fetch(url, { method: "POST", credentials: "same-origin",
                                      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(data.error || answer.statusText);
    return data;
  }
  function fail(box, message) {
    const area = box.querySelector("[data-passkey-error]");
    area.textContent = message;
    area.hidden = false;
    area.focus();
  }

  // Shows the box's button; a click runs `ceremony(csrf)`, which answers where to go next.
  function offer(selector, ceremony) {
    document.querySelectorAll(selector).forEach((box) => {
      box.hidden = false;
      box.querySelector("button").addEventListener("click", async () => {
        try {
          window.location.assign((await ceremony(box, box.dataset.csrf)).redirect);
        } catch (error) {
          fail(box, error.name === "NotAllowedError" ? box.dataset.cancelled : error.message);
        }
      });
    });
  }

  offer("[data-passkey-sign-in]", async (box, csrf) => {
    const options = await post(box.dataset.optionsUrl, { csrf: csrf });
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const credential = await navigator.credentials.get({ publicKey: options });
    return post(box.dataset.url, { csrf: csrf, next: box.dataset.next, credential: credentialJSON(credential) });
  });

  offer("[data-passkey-add]", async (box, csrf) => {
    const options = await post(box.dataset.optionsUrl, { csrf: csrf });
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const credential = await navigator.credentials.create({ publicKey: options });
    const name = box.querySelector("input[name=passkey_name]").value;
    return post(box.dataset.url, { csrf: csrf, name: name, credential: credentialJSON(credential) });
  });
})();
