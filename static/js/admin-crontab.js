// django_celery_beat's crontab translation on the periodic task page (its template has it inline, which the CSP
// refuses): the help under the schedule says in words when the chosen crontab runs.
(function () {
  const $ = django.jQuery;
  const readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const help = $(".field-crontab .help");
  const original = help.text();
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    const said = readable[$("#id_crontab").val()];
    help.text(original);
    if (said) help.append("<br>", document.createTextNode("Translation: " + said));
  });
})();
