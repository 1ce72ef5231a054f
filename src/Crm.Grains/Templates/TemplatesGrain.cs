namespace Crm.Grains;

[GrainType("templates")]
internal sealed class TemplatesGrain(
    [PersistentState("templates", StorageNames.Crm)] IPersistentState<TemplatesState> state,
    IAuditLog audit,
    TimeProvider clock) : Grain, ITemplatesGrain
{
    private Dictionary<string, Template> Templates => state.State.Templates;

    public Task<Page<Template>> ListAsync(int limit, string? cursor) =>
        Task.FromResult(Paging.ByKey(Templates.Values, t => t.Id, limit, cursor));

    public Task<Template?> GetAsync(string templateId) => Task.FromResult(Templates.GetValueOrDefault(templateId));

    public async Task<Result<Template>> CreateAsync(string? name, string? text, Actor actor)
    {
        var errors = new Errors();
        TemplateRules.Validate(name, text, errors);
        if (Templates.Count >= TemplateRules.MaxTemplates)
            errors.Add("name", $"A tenant has at most {TemplateRules.MaxTemplates} templates.");
        if (errors.Any)
            return errors.ToResult<Template>();

        var now = clock.Now();
        var template = new Template { Id = Ids.New("tp"), Name = name!.Trim(), Text = text!, CreatedAt = now, UpdatedAt = now };
        await SaveAsync(template, actor, "template.created");
        return Result<Template>.Ok(template);
    }

    public async Task<Result<Template>> ReplaceAsync(string templateId, string? name, string? text, Actor actor)
    {
        if (!Templates.TryGetValue(templateId, out var existing))
            return Result<Template>.NotFound();
        var errors = new Errors();
        TemplateRules.Validate(name, text, errors);
        if (errors.Any)
            return errors.ToResult<Template>();

        var template = existing with { Name = name!.Trim(), Text = text!, UpdatedAt = clock.Now() };
        await SaveAsync(template, actor, "template.updated");
        return Result<Template>.Ok(template);
    }

    public async Task<Result<Template>> DeleteAsync(string templateId, Actor actor)
    {
        if (!Templates.Remove(templateId, out var existing))
            return Result<Template>.NotFound();
        await state.WriteStateAsync();
        await audit.AppendAsync(AuditEvent.Of(actor, clock.Now(), "template.deleted", "template", templateId));
        return Result<Template>.Ok(existing);
    }

    private async Task SaveAsync(Template template, Actor actor, string action)
    {
        Templates[template.Id] = template;
        await state.WriteStateAsync();
        await audit.AppendAsync(AuditEvent.Of(actor, template.UpdatedAt, action, "template", template.Id));
    }
}
