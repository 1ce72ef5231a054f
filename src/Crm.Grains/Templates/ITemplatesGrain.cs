namespace Crm.Grains;

/// <summary>The message templates of one tenant (key <c>{tenant}</c>): static text usable on any transport.</summary>
public interface ITemplatesGrain : IGrainWithStringKey
{
    Task<Page<Template>> ListAsync(int limit, string? cursor);

    Task<Template?> GetAsync(string templateId);

    Task<Result<Template>> CreateAsync(string? name, string? text, Actor actor);

    Task<Result<Template>> ReplaceAsync(string templateId, string? name, string? text, Actor actor);

    Task<Result<Template>> DeleteAsync(string templateId, Actor actor);
}
